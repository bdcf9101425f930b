// The Order event store: an append-only stream per order, guarded by (order_id, sequence).
import { parseEvent, type EventOf } from "@orderflow/contracts";
import {
  isOutage,
  outboxInsertSql,
  query,
  sql,
  writeWithOutbox,
  type OutboxInsert,
  type SqlExecutor,
  type Statement,
} from "@orderflow/db-kit";
import { groupCommit } from "@orderflow/batching";
import { RetriableError } from "@orderflow/kafka";
import type { Tx } from "./client.js";
import { claimKeysSql, type NewKey } from "./idempotency.js";

export type StoredOrderEvent =
  | EventOf<"OrderPlaced">
  | EventOf<"OrderPaid">
  | EventOf<"OrderShipped">
  | EventOf<"OrderCancelled">;

/** Another writer appended to the same stream first. Retrying against the new state is safe. */
export class ConcurrencyConflict extends RetriableError {
  constructor(orderIds: string[], expectedVersion?: number) {
    super(
      orderIds.length === 1
        ? `order ${orderIds[0]} changed concurrently (expected version ${expectedVersion})`
        : `one of orders ${orderIds.join(", ")} changed concurrently`,
      "CONCURRENCY_CONFLICT",
    );
    this.name = "ConcurrencyConflict";
  }
}

// Plain parameterised SQL on the service's pg pool (db-kit's createDatabase says why).
export interface EventRow {
  order_id: string;
  sequence: number;
  event_id: string;
  type: string;
  version: number;
  /** a Date from pg, an ISO string when read as JSON (beside the inbox record) */
  occurred_at: Date | string;
  correlation_id: string;
  causation_id: string | null;
  data: unknown;
}

export async function loadStream(tx: Tx, orderId: string): Promise<StoredOrderEvent[]> {
  return (await loadStreams(tx, [orderId])).get(orderId) ?? [];
}

/** The read of these orders' streams. */
export function streamsRead(orderIds: string[]): Statement {
  return sql`SELECT order_id::text, sequence, event_id::text, type, version, occurred_at, correlation_id, causation_id, data FROM order_events WHERE order_id = ANY(${orderIds}::uuid[])`;
}

/** The streams of these orders in one query, each in sequence order (no entry: no stream). */
async function loadStreams(tx: Tx, orderIds: string[]): Promise<Map<string, StoredOrderEvent[]>> {
  return streamsOf(await query<EventRow>(tx, streamsRead(orderIds)));
}

/** Rows of streamsRead, in any order, as the streams they make up. */
export function streamsOf(rows: EventRow[]): Map<string, StoredOrderEvent[]> {
  const streams = new Map<string, StoredOrderEvent[]>();
  for (const r of [...rows].sort((a, b) =>
    a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : a.sequence - b.sequence,
  )) {
    const parsed = parseEvent({
      id: r.event_id,
      type: r.type,
      version: r.version,
      occurredAt: new Date(r.occurred_at).toISOString(),
      aggregateId: r.order_id,
      correlationId: r.correlation_id,
      causationId: r.causation_id,
      source: "order",
      data: r.data,
    });
    if (!parsed.ok)
      throw new Error(`stored event ${r.event_id} of order ${r.order_id} is unreadable: ${parsed.message}`);
    const stream = streams.get(r.order_id) ?? [];
    if (stream.length === 0) streams.set(r.order_id, stream);
    stream.push(parsed.event as StoredOrderEvent);
  }
  return streams;
}

/** PostgreSQL's unique-key violation: (order_id, sequence) refused an append */
const isUniqueViolation = (e: unknown) => (e as { code?: unknown } | undefined)?.code === "23505";

/** The INSERT of events into their streams at the given sequences (one array per column);
 *  `where` filters them (over e.order_id) */
function eventsInsert(
  rows: { orderId: string; sequence: number; e: StoredOrderEvent }[],
  where?: Statement,
): Statement {
  return sql`INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)
          SELECT * FROM unnest(${rows.map((r) => r.orderId)}::uuid[], ${rows.map((r) => r.sequence)}::int[], ${rows.map((r) => r.e.id)}::uuid[], ${rows.map((r) => r.e.type)}::text[], ${rows.map((r) => r.e.version)}::int[], ${rows.map((r) => JSON.stringify(r.e.data))}::jsonb[], ${rows.map((r) => r.e.correlationId)}::text[], ${rows.map((r) => r.e.causationId)}::text[], ${rows.map((r) => r.e.occurredAt)}::timestamptz[])
            AS e(order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)${where ? sql` WHERE ${where}` : sql``}`;
}

export async function appendToStream(
  tx: Tx,
  orderId: string,
  expectedVersion: number,
  events: StoredOrderEvent[],
  outbox: OutboxInsert[] = [],
): Promise<void> {
  await appendToStreams(tx, [{ orderId, expectedVersion, events }], outbox);
}

/** Appends to several streams, and writes the outbox rows of what was appended, in one statement
 *  (writeWithOutbox); any stream changed since it was read fails it all. */
export async function appendToStreams(
  tx: SqlExecutor,
  appends: { orderId: string; expectedVersion: number; events: StoredOrderEvent[] }[],
  outbox: OutboxInsert[] = [],
): Promise<void> {
  const rows = appends.flatMap(({ orderId, expectedVersion, events }) =>
    events.map((e, i) => ({ orderId, sequence: expectedVersion + i + 1, e })),
  );
  if (rows.length === 0 && outbox.length === 0) return;
  const insert = eventsInsert(rows);
  try {
    await writeWithOutbox(tx, sql`appended AS (${insert})`, outbox);
  } catch (e) {
    if (isUniqueViolation(e))
      throw new ConcurrencyConflict(
        appends.map((a) => a.orderId),
        appends[0]!.expectedVersion,
      );
    throw e;
  }
}

export interface NewStream {
  orderId: string;
  events: StoredOrderEvent[];
  outbox: OutboxInsert[];
  /** the Idempotency-Key of the request placing it, claimed in the same statement */
  key?: Omit<NewKey, "orderId">;
}

/** What the statement did with a new stream: started it, or not, because its key was taken
 *  (`keyInFlight`: by a request still running; otherwise by a stored answer). */
export type StartOutcome = { started: true } | { started: false; keyInFlight: boolean };

const STARTED: StartOutcome = { started: true };

/** New orders' first events and their outbox rows in one statement, without an explicit
 *  transaction: an append at version 0 (no history to load; (order_id, sequence) still refuses a
 *  stream that exists). A stream placed with an Idempotency-Key claims it in the same statement
 *  and is written only if the claim holds, so a key and its order commit together. */
export async function startStreams(db: SqlExecutor, streams: NewStream[]): Promise<StartOutcome[]> {
  const keys = streams.flatMap((s) => (s.key ? [{ ...s.key, orderId: s.orderId }] : []));
  if (keys.length === 0) {
    await appendToStreams(
      db,
      streams.map(({ orderId, events }) => ({ orderId, expectedVersion: 0, events })),
      streams.flatMap((s) => s.outbox),
    );
    return streams.map(() => STARTED);
  }
  const insert = eventsInsert(
    streams.flatMap(({ orderId, events }) => events.map((e, i) => ({ orderId, sequence: i + 1, e }))),
    sql`e.order_id NOT IN (SELECT order_id FROM key_refused)`,
  );
  const out = outboxInsertSql(
    streams.flatMap((s) => s.outbox),
    { where: sql`o.aggregate_id NOT IN (SELECT order_id::text FROM key_refused)` },
  );
  let refused: { order_id: string; locked: boolean }[];
  try {
    refused = await query(
      db,
      sql`WITH ${claimKeysSql(keys)}, appended AS (${insert}), outboxed AS (${out}) SELECT order_id::text, locked FROM key_refused`,
    );
  } catch (e) {
    if (isUniqueViolation(e))
      throw new ConcurrencyConflict(
        streams.map((s) => s.orderId),
        0,
      );
    throw e;
  }
  const byOrder = new Map(refused.map((r) => [r.order_id, r.locked]));
  return streams.map((s) =>
    byOrder.has(s.orderId) ? { started: false, keyInFlight: !byOrder.get(s.orderId) } : STARTED,
  );
}

const starters = new WeakMap<SqlExecutor, (s: NewStream) => Promise<StartOutcome>>();

/** A new order's stream through a group commit per database: the orders placed while one such
 *  statement is in flight go into the next one together (one round trip and one commit for all
 *  of them; docs/performance.md). A failed combined statement is tried again per order, so an
 *  order fails only for its own reasons. */
export async function startStream(db: SqlExecutor, stream: NewStream): Promise<StartOutcome> {
  let start = starters.get(db);
  if (!start) {
    start = groupCommit<NewStream, StartOutcome>((streams) => startStreams(db, streams), {
      shared: isOutage,
      maxWeight: 200,
    });
    starters.set(db, start);
  }
  return start(stream);
}
