// Operators' dead-letter tools: list a group's dead letters, redrive them to that group only,
// discard them. Every action is an audit record on the ops-audit topic, which is also how a
// dead letter's state (pending, redriven, discarded) is known.
import { randomUUID } from "node:crypto";
import { dltTopicName, HEADERS, OPS_AUDIT_TOPIC, SUBSCRIPTIONS } from "@orderflow/contracts";
import type { KafkaClient } from "./client.js";
import { DLT_HEADERS } from "./dead-letter.js";
import type { Publisher } from "./publisher.js";
import { readTopicToEnd, type RawRecord } from "./read.js";

export type DeadLetterState = "pending" | "redriven" | "discarded";

export interface DeadLetter {
  /** `<dlt topic>:<partition>:<offset>`: what operators name a record by */
  id: string;
  group: string;
  dltTopic: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  errorClass: string;
  errorMessage: string;
  attempts: number;
  redriveCount: number;
  eventId?: string;
  eventType?: string;
  failedAt: string;
  state: DeadLetterState;
  record: RawRecord;
}

export interface AuditEntry {
  at: string;
  action: "redrive" | "discard";
  operator: string;
  group: string;
  deadLetter: string;
  key: string | null;
  redriveId?: string;
  reason?: string;
}

export const DEFAULT_MAX_REDRIVES = 3;

/** The registry's groups, or one group of `sources` topics that the registry does not know. */
function groupsOf(group?: string, sources?: string[]): { group: string; topics: string[] }[] {
  if (group && sources) return [{ group, topics: sources.map((t) => dltTopicName(t, group)) }];
  const subs = SUBSCRIPTIONS.filter((s) => !group || s.group === group);
  if (group && subs.length === 0)
    throw new Error(`unknown consumer group "${group}" (known: ${SUBSCRIPTIONS.map((s) => s.group).join(", ")})`);
  return subs.map((s) => ({ group: s.group, topics: s.topics.map((t) => dltTopicName(t, s.group)) }));
}

export async function readAudit(client: KafkaClient): Promise<AuditEntry[]> {
  return (await readTopicToEnd(client, OPS_AUDIT_TOPIC.name)).flatMap((r) => {
    try {
      return [JSON.parse(r.value?.toString("utf8") ?? "") as AuditEntry];
    } catch {
      return [];
    }
  });
}

export interface DeadLetterFilter {
  group?: string | undefined;
  /** the group's source topics, for a group the registry does not list */
  sources?: string[];
  topic?: string;
  errorClass?: string;
  key?: string | undefined;
  state?: DeadLetterState | "all" | undefined;
}

/** The dead letter a DLT record is, in `group`, given the audit trail's states. */
export function toDeadLetter(group: string, r: RawRecord, states: ReadonlyMap<string, DeadLetterState>): DeadLetter {
  const h = r.headers;
  const id = `${r.topic}:${r.partition}:${r.offset}`;
  return {
    id,
    group,
    dltTopic: r.topic,
    originalTopic: h[DLT_HEADERS.originalTopic] ?? "",
    originalPartition: Number(h[DLT_HEADERS.originalPartition] ?? -1),
    originalOffset: h[DLT_HEADERS.originalOffset] ?? "",
    key: r.key,
    errorClass: h[DLT_HEADERS.errorClass] ?? "",
    errorMessage: h[DLT_HEADERS.errorMessage] ?? "",
    attempts: Number(h[DLT_HEADERS.attempts] ?? 0),
    redriveCount: Number(h[HEADERS.redriveCount] ?? 0),
    ...(h[HEADERS.eventId] ? { eventId: h[HEADERS.eventId] } : {}),
    ...(h[HEADERS.eventType] ? { eventType: h[HEADERS.eventType] } : {}),
    failedAt: h[DLT_HEADERS.lastFailureAt] ?? new Date(Number(r.timestamp)).toISOString(),
    state: states.get(id) ?? "pending",
    record: r,
  };
}

/** What the audit trail says each dead letter became. */
export function auditStates(audit: AuditEntry[]): Map<string, DeadLetterState> {
  return new Map(audit.map((a) => [a.deadLetter, a.action === "redrive" ? "redriven" : "discarded"]));
}

/** One dead letter per failure: a consumer that crashes after writing a record to the dead-letter
 *  topic and before committing its offset writes it again on redelivery; both copies name the same
 *  source record and redrive count, and the first one stands for both. */
export function distinctDeadLetters(list: DeadLetter[]): DeadLetter[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    if (!d.originalTopic) return true; // not written by Orderflow: nothing to tell copies apart by
    const k = `${d.group}|${d.originalTopic}|${d.originalPartition}|${d.originalOffset}|${d.redriveCount}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `list` narrowed by `filter` (pending only unless it says otherwise), oldest first, each failure once. */
export function filterDeadLetters(list: DeadLetter[], filter: DeadLetterFilter = {}): DeadLetter[] {
  const state = filter.state ?? "pending";
  // sorted once: the first copy of a failure is the oldest, and the filters keep the order
  return distinctDeadLetters(
    [...list].sort((a, b) => Number(a.record.timestamp) - Number(b.record.timestamp) || a.id.localeCompare(b.id)),
  )
    .filter((d) => !filter.group || d.group === filter.group)
    .filter((d) => state === "all" || d.state === state)
    .filter((d) => !filter.topic || d.originalTopic === filter.topic || d.dltTopic === filter.topic)
    .filter((d) => !filter.errorClass || d.errorClass === filter.errorClass)
    .filter((d) => !filter.key || d.key === filter.key);
}

export async function listDeadLetters(client: KafkaClient, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const states = auditStates(await readAudit(client));
  const out: DeadLetter[] = [];
  for (const g of groupsOf(filter.group, filter.sources)) {
    for (const dltTopic of g.topics) {
      for (const r of await readTopicToEnd(client, dltTopic)) out.push(toDeadLetter(g.group, r, states));
    }
  }
  return filterDeadLetters(out, filter);
}

export interface RedriveSelection {
  group: string;
  sources?: string[];
  /** one dead letter by id, every pending one of a key, or all pending of the group */
  id?: string;
  key?: string;
  all?: boolean;
}

export interface ActionResult {
  done: DeadLetter[];
  /** past the loop guard: left dead-lettered */
  refused: { deadLetter: DeadLetter; why: string }[];
  released: string[];
  audit: AuditEntry[];
}

function select(pending: DeadLetter[], s: RedriveSelection): DeadLetter[] {
  const chosen = s.id
    ? pending.filter((d) => d.id === s.id)
    : s.key
      ? pending.filter((d) => d.key === s.key)
      : s.all
        ? pending
        : [];
  if (s.id && chosen.length === 0) throw new Error(`no pending dead letter ${s.id} in group ${s.group}`);
  if (!s.id && !s.key && !s.all) throw new Error("choose a dead letter (id), a key, or all");
  return chosen;
}

/** The original record again, for `group` only, with its dead-letter headers removed. */
function redriveRecord(d: DeadLetter, redriveId: string) {
  const headers = Object.fromEntries(
    Object.entries(d.record.headers).filter(([k]) => !k.startsWith("dlt-") && !k.startsWith("orderflow-")),
  );
  return {
    topic: d.originalTopic,
    key: d.key,
    value: d.record.value,
    headers: {
      ...headers,
      [HEADERS.redriveGroup]: d.group,
      [HEADERS.redriveId]: redriveId,
      [HEADERS.redriveCount]: String(d.redriveCount + 1),
    },
  };
}

/** Tell `group` that `key` may flow again, after everything published for it so far. */
function releaseRecord(group: string, topic: string, key: string, redriveId: string) {
  return {
    topic,
    key,
    value: null,
    headers: { [HEADERS.control]: "release-key", [HEADERS.redriveGroup]: group, [HEADERS.redriveId]: redriveId },
  };
}

async function act(
  client: KafkaClient,
  publisher: Publisher,
  action: "redrive" | "discard",
  s: RedriveSelection & { operator: string; maxRedrives?: number; reason?: string },
  source: PendingSource | undefined,
): Promise<ActionResult> {
  const pending = source
    ? await source(s.group)
    : await listDeadLetters(client, { group: s.group, ...(s.sources ? { sources: s.sources } : {}) });
  const chosen = select(pending, s);
  const redriveId = randomUUID();
  const max = s.maxRedrives ?? DEFAULT_MAX_REDRIVES;
  const refused =
    action === "redrive"
      ? chosen
          .filter((d) => d.redriveCount >= max)
          .map((d) => ({ deadLetter: d, why: `redriven ${d.redriveCount} times already (limit ${max})` }))
      : [];
  const done = chosen.filter((d) => !refused.some((r) => r.deadLetter === d));
  const at = new Date().toISOString();
  const audit: AuditEntry[] = done.map((d) => ({
    at,
    action,
    operator: s.operator,
    group: s.group,
    deadLetter: d.id,
    key: d.key,
    ...(action === "redrive" ? { redriveId } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
  }));
  // a key is released once none of its dead letters in this group is left pending
  const left = pending.filter((d) => !done.includes(d));
  const releasedKeys = [...new Set(done.flatMap((d) => (d.key && !left.some((l) => l.key === d.key) ? [d.key] : [])))];
  const records = [
    ...(action === "redrive" ? done.map((d) => redriveRecord(d, redriveId)) : []),
    ...releasedKeys.map((k) =>
      releaseRecord(s.group, [...done].reverse().find((d) => d.key === k)!.originalTopic, k, redriveId),
    ),
  ];
  // audit first: a crash after it shows the action as done, and the operator sees the trail
  await publisher.send(
    audit.map((a) => ({ topic: OPS_AUDIT_TOPIC.name, key: a.deadLetter, value: JSON.stringify(a), headers: {} })),
  );
  await publisher.send(records);
  return { done, refused, released: releasedKeys, audit };
}

/** Where an action finds a group's pending dead letters: by default it reads the group's dead-letter
 *  topics and the audit trail from the start; a long-lived index (the ops console's) answers at once. */
export type PendingSource = (group: string) => Promise<DeadLetter[]>;

/** Re-publish dead letters to their original topic for their group only, in their original order. */
export function redrive(
  client: KafkaClient,
  publisher: Publisher,
  s: RedriveSelection & { operator: string; maxRedrives?: number },
  source?: PendingSource,
): Promise<ActionResult> {
  return act(client, publisher, "redrive", s, source);
}

/** Give up on dead letters (audited); a key with nothing left pending is released. */
export function discard(
  client: KafkaClient,
  publisher: Publisher,
  s: RedriveSelection & { operator: string; reason?: string },
  source?: PendingSource,
): Promise<ActionResult> {
  return act(client, publisher, "discard", s, source);
}
