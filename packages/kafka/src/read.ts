// Reading raw records (a dead-letter topic, say) from the beginning: for operators' commands
// and tests, where records need not be valid events.
import { randomUUID } from "node:crypto";
import type { KafkaClient } from "./client.js";
import { headersToStrings } from "./records.js";

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Reads `topic` from the start with a throwaway group (no offsets committed) until `until`
 *  says enough or `timeoutMs` passes, then returns what it read. */
export async function readTopic(
  client: KafkaClient,
  topic: string,
  opts: { until?: (records: RawRecord[]) => boolean; timeoutMs?: number } = {},
): Promise<RawRecord[]> {
  const consumer = client.kafka.consumer({
    groupId: `orderflow-reader-${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
  });
  const records: RawRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [client.physical(topic)], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, opts.timeoutMs ?? 10_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic: t, partition, message: m }) => {
            records.push({
              topic: client.logical(t),
              partition,
              offset: m.offset,
              timestamp: m.timestamp,
              key: m.key ? m.key.toString("utf8") : null,
              value: m.value,
              headers: headersToStrings(m.headers as Record<string, unknown>),
            });
            if (opts.until?.(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Every record of `topic` up to its end offsets as they are when called. */
export async function readTopicToEnd(client: KafkaClient, topic: string): Promise<RawRecord[]> {
  const admin = client.kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(client.physical(topic))).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const total = [...ends.values()].reduce((a, b) => a + b, 0n);
  if (total === 0n) return [];
  const done = (rs: RawRecord[]) =>
    [...ends].every(([p, end]) => end === 0n || rs.some((r) => r.partition === p && BigInt(r.offset) + 1n >= end));
  return readTopic(client, topic, { until: done, timeoutMs: 30_000 });
}
