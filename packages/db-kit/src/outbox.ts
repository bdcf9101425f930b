// The transactional outbox and inbox every service database has in the same shape. Both are
// written inside the caller's transaction, next to the state change they belong to.
import { eventHeaders, keyOf, topicOf, type OrderflowEvent } from "@orderflow/contracts";
import { empty, execute, joinSql, query, raw, sql, type Statement } from "./statement.js";

/** Any Prisma client or interactive-transaction client satisfies this. */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

export const OUTBOX_NOTIFY_CHANNEL = "orderflow_outbox";

export interface OutboxInsert {
  eventId: string;
  aggregateId: string;
  topic: string;
  key: string;
  eventType: string;
  payload: unknown;
  headers: Record<string, string>;
}

/** The row that makes the relay publish `event` with its standard headers (and e.g. traceparent). */
export function outboxRowFor(event: OrderflowEvent, extraHeaders: Record<string, string> = {}): OutboxInsert {
  return {
    eventId: event.id,
    aggregateId: event.aggregateId,
    topic: topicOf(event.type),
    key: keyOf(event),
    eventType: event.type,
    payload: event,
    headers: eventHeaders(event, extraHeaders),
  };
}

/** The INSERT of `rows`, to run alone or inside a larger statement (a CTE that writes the state
 *  change in the same round trip); `where` keeps only the rows it holds for, over the columns as
 *  o.event_id, o.aggregate_id, … */
export function outboxInsertSql(rows: OutboxInsert[], opts: { where?: Statement } = {}): Statement {
  const tuples = joinSql(
    rows.map(
      (r) =>
        sql`(${r.eventId}::uuid, ${r.aggregateId}, ${r.topic}, ${r.key}, ${r.eventType}, ${JSON.stringify(r.payload)}::jsonb, ${JSON.stringify(r.headers)}::jsonb)`,
    ),
  );
  const columns = raw("event_id, aggregate_id, topic, key, event_type, payload, headers");
  if (opts.where)
    return sql`INSERT INTO outbox (${columns}) SELECT * FROM (VALUES ${tuples}) AS o(${columns}) WHERE ${opts.where}`;
  return sql`INSERT INTO outbox (${columns}) VALUES ${tuples}`;
}

export async function appendOutbox(tx: SqlExecutor, rows: OutboxInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await execute(tx, outboxInsertSql(rows));
}

/** State changes and the outbox rows of the events they cause in one statement: one round trip,
 *  and atomic without an explicit transaction (every data-modifying part of a WITH runs to
 *  completion or the statement fails). `changes` are WITH items (`name AS (UPDATE …), …`), or empty. */
export async function writeWithOutbox(tx: SqlExecutor, changes: Statement, rows: OutboxInsert[]): Promise<void> {
  const out = rows.length > 0 ? outboxInsertSql(rows) : sql`SELECT 1`;
  await execute(tx, changes.text.trim() === "" ? out : sql`WITH ${changes} ${out}`);
}

/** Records that `consumerGroup` processed `eventId`; false when it already had (a redelivery). */
export async function recordInbox(tx: SqlExecutor, consumerGroup: string, eventId: string): Promise<boolean> {
  return (await recordInboxRunAndRead(tx, consumerGroup, [{ event: { id: eventId } }], () => {})).fresh.length === 1;
}

/** Records a run of consumed events in `consumerGroup`'s inbox and returns the ones it had not
 *  processed before, in order (an event listed twice counts once; `onDuplicate` hears of each of
 *  the others); with `read` (a SELECT of the state the run touches, FOR UPDATE when it locks) in
 *  the same statement: one round trip where a handler's transaction took two, which is what a hop
 *  costs on a busy machine (docs/performance.md).
 *  The read covers the whole run, duplicates too, and sees the state as of the statement's start;
 *  its rows come back as JSON values (timestamps as ISO strings, no order: sort them if it matters). */
export async function recordInboxRunAndRead<M extends { event: { id: string } }, R = never>(
  tx: SqlExecutor,
  consumerGroup: string,
  msgs: M[],
  onDuplicate: (msg: M) => void,
  read?: Statement,
): Promise<{ fresh: M[]; rows: R[] }> {
  if (msgs.length === 0) return { fresh: [], rows: [] };
  const [r] = await query<{ fresh: string[] | null; rows: R[] | null }>(
    tx,
    sql`WITH fresh AS (INSERT INTO inbox (consumer_group, event_id) SELECT ${consumerGroup}, unnest(${msgs.map((m) => m.event.id)}::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id::text AS id)${read ? sql`, state AS (${read})` : empty}
     SELECT (SELECT array_agg(id) FROM fresh) AS fresh, ${read ? raw("(SELECT json_agg(state) FROM state)") : raw("NULL::json")} AS rows`,
  );
  const fresh = new Set(r?.fresh ?? []);
  return {
    fresh: msgs.filter((m) => {
      if (fresh.delete(m.event.id)) return true;
      onDuplicate(m);
      return false;
    }),
    rows: r?.rows ?? [],
  };
}

/** The outbox/inbox DDL and NOTIFY trigger, as every service's first migration has it. */
export const OUTBOX_TABLE_SQL = `
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "aggregate_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "outbox_event_id_key" ON "outbox"("event_id");
CREATE INDEX "outbox_published_at_id_idx" ON "outbox"("published_at", "id");

CREATE TABLE "inbox" (
    "consumer_group" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inbox_pkey" PRIMARY KEY ("consumer_group","event_id")
);
`;

/** Wakes the relay (LISTEN ${OUTBOX_NOTIFY_CHANNEL}) once per inserting statement. */
export const OUTBOX_NOTIFY_SQL = `
CREATE FUNCTION orderflow_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON "outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION orderflow_outbox_notify();
`;
