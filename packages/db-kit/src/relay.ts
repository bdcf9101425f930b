// The outbox relay's statements on a service database: leadership of its outbox (a session
// advisory lock, so only one relay replica publishes it), the pending rows in id order, marking
// rows published, deleting sent rows past retention, and the backlog.
import type pg from "pg";
import { OUTBOX_NOTIFY_CHANNEL } from "./outbox.js";
import { raw, sql, type Statement } from "./statement.js";

/** A pool, or a client checked out of one or connected on its own. */
type Pg = pg.Pool | pg.ClientBase;

const run = <R extends pg.QueryResultRow>(q: Pg, s: Statement) => q.query<R>(s.text, s.values);

/** The advisory lock whose holder publishes a database's outbox. */
const RELAY_LOCK = "orderflow-outbox-relay";

/** An outbox row as the relay publishes it. */
export interface PendingOutboxRow {
  id: string;
  topic: string;
  key: string;
  /** the JSON text as stored: published as it is, never parsed and re-serialised */
  payload: string;
  headers: Record<string, string>;
}

/** Takes the database's relay lock for `session` if no other session holds it. */
export async function tryLeadOutbox(session: pg.ClientBase): Promise<boolean> {
  const r = await run<{ ok: boolean }>(session, sql`SELECT pg_try_advisory_lock(hashtext(${RELAY_LOCK})) AS ok`);
  return r.rows[0]!.ok;
}

/** From now on `session` hears a notification per statement that inserts outbox rows. */
export async function listenForOutbox(session: pg.ClientBase): Promise<void> {
  await run(session, sql`LISTEN ${raw(OUTBOX_NOTIFY_CHANNEL)}`);
}

/** Up to `limit` unpublished rows after `afterId`, in id order, leaving out `exclude`. */
export async function pendingOutboxRows(
  q: Pg,
  afterId: string,
  limit: number,
  exclude: string[],
): Promise<PendingOutboxRow[]> {
  const excluded = exclude.length ? sql` AND id <> ALL(${exclude}::bigint[])` : sql``;
  const r = await run<PendingOutboxRow>(
    q,
    sql`SELECT id, topic, key, payload::text AS payload, headers FROM outbox WHERE published_at IS NULL AND id > ${afterId}${excluded} ORDER BY id LIMIT ${limit}`,
  );
  return r.rows;
}

/** published_at is when the broker acknowledged the rows, by the relay's clock. */
export async function markOutboxPublished(q: Pg, ids: string[], ackedAt: Date): Promise<void> {
  await run(q, sql`UPDATE outbox SET published_at = ${ackedAt} WHERE id = ANY(${ids}::bigint[])`);
}

/** Deletes rows published longer than `retentionMs` ago; how many went. */
export async function deletePublishedOutbox(q: Pg, retentionMs: number): Promise<number> {
  const r = await run(
    q,
    sql`DELETE FROM outbox WHERE published_at < now() - make_interval(secs => ${retentionMs / 1000})`,
  );
  return r.rowCount ?? 0;
}

/** How many rows wait to be published, and how long the oldest has. */
export async function outboxBacklog(q: Pg): Promise<{ backlog: number; oldestPendingSeconds: number }> {
  const r = await run<{ backlog: string; oldest: string | null }>(
    q,
    sql`SELECT count(*) AS backlog, EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest FROM outbox WHERE published_at IS NULL`,
  );
  return { backlog: Number(r.rows[0]!.backlog), oldestPendingSeconds: Number(r.rows[0]!.oldest ?? 0) };
}
