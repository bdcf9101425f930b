// A live, in-memory view of every dead-letter topic and of the ops audit trail, for a process that
// asks often (the ops console polls it every few seconds): one consumer reads them from the start
// and keeps reading, so a question is answered from memory instead of a throwaway consumer group
// per topic (listDeadLetters' way, fine for a command run once).
import { randomUUID } from "node:crypto";
import { dltTopicName, OPS_AUDIT_TOPIC, SUBSCRIPTIONS } from "@orderflow/contracts";
import type { Admin, Consumer } from "kafkajs";
import type { Logger } from "pino";
import { DLT_INDEX_GROUP_PREFIX } from "./acl.js";
import type { KafkaClient } from "./client.js";
import { headersToStrings } from "./records.js";
import type { RawRecord } from "./read.js";
import {
  auditStates,
  filterDeadLetters,
  toDeadLetter,
  type AuditEntry,
  type DeadLetter,
  type DeadLetterFilter,
  type PendingSource,
} from "./redrive.js";

export interface DeadLetterIndex {
  start(): Promise<void>;
  /** Resolves once every record published to the dead-letter and audit topics before the call
   *  has been read: a list taken after it includes the caller's own actions. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** pending ones unless the filter says otherwise, oldest first */
  list(filter?: DeadLetterFilter): DeadLetter[];
  /** the audit trail, oldest first */
  audit(): AuditEntry[];
  /** for redrive()/discard(): the group's pending dead letters, once the index has caught up */
  pending: PendingSource;
  stop(): Promise<void>;
}

export function createDeadLetterIndex(client: KafkaClient, opts: { log: Logger; groupId?: string }): DeadLetterIndex {
  const groupOfDlt = new Map(
    SUBSCRIPTIONS.flatMap((s) => s.topics.map((t) => [dltTopicName(t, s.group), s.group] as const)),
  );
  const topics = [...groupOfDlt.keys(), OPS_AUDIT_TOPIC.name];
  const read: ReadState = { groupOfDlt, records: [], trail: [], next: new Map() };
  const { records, trail, next } = read;
  let consumer: Consumer | undefined;
  let admin: Admin | undefined;

  function all(): DeadLetter[] {
    const states = auditStates(trail);
    return records.map((r) => toDeadLetter(r.group, r.record, states));
  }

  async function caughtUp(timeoutMs = 10_000): Promise<void> {
    if (!admin) throw new Error("the dead-letter index is not started");
    const ends: [string, bigint][] = [];
    for (const t of topics)
      for (const p of await admin.fetchTopicOffsets(client.physical(t)))
        ends.push([`${t}:${p.partition}`, BigInt(p.high)]);
    const deadline = Date.now() + timeoutMs;
    while (!ends.every(([tp, end]) => end === 0n || (next.get(tp) ?? 0n) >= end)) {
      if (Date.now() > deadline) throw new Error(`the dead-letter index did not catch up within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  return {
    async start() {
      admin = client.kafka.admin();
      await admin.connect();
      consumer = client.kafka.consumer({
        groupId: client.physical(opts.groupId ?? `${DLT_INDEX_GROUP_PREFIX}${randomUUID()}`),
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 100,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: topics.map((t) => client.physical(t)), fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) =>
          take(read, opts.log, client.logical(topic), partition, message),
      });
    },
    caughtUp,
    list: (filter) => filterDeadLetters(all(), filter),
    audit: () => [...trail],
    pending: async (group) => {
      await caughtUp();
      return filterDeadLetters(all(), { group });
    },
    async stop() {
      await consumer?.disconnect();
      await admin?.disconnect();
    },
  };
}

/** What the index has read so far. */
interface ReadState {
  /** the consumer group whose dead letters each dead-letter topic holds */
  groupOfDlt: ReadonlyMap<string, string>;
  records: { group: string; record: RawRecord }[];
  trail: AuditEntry[];
  /** next offset to read, per `topic:partition` */
  next: Map<string, bigint>;
}

/** Adds one record to the index: an audit entry to the trail, a dead letter to the records. */
function take(
  read: ReadState,
  log: Logger,
  topic: string,
  partition: number,
  m: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: unknown },
): void {
  const { groupOfDlt, records, trail, next } = read;
  next.set(`${topic}:${partition}`, BigInt(m.offset) + 1n);
  if (topic === OPS_AUDIT_TOPIC.name) {
    try {
      trail.push(JSON.parse(m.value?.toString("utf8") ?? "") as AuditEntry);
    } catch {
      log.warn({ topic, partition, offset: m.offset }, "audit record is not JSON; ignored");
    }
    return;
  }
  const group = groupOfDlt.get(topic);
  if (!group) return;
  records.push({
    group,
    record: {
      topic,
      partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key ? m.key.toString("utf8") : null,
      value: m.value,
      headers: headersToStrings((m.headers ?? {}) as Record<string, unknown>),
    },
  });
}
