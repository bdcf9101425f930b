// The outbox relay's statements for its wal mode (docs/relay.md): the publication the migrations
// create, the database's logical replication slot, and the clean-up of rows behind the slot.
import type pg from "pg";
import { sql, type Statement } from "./statement.js";

type Pg = pg.Pool | pg.ClientBase;

const run = <R extends pg.QueryResultRow>(q: Pg, s: Statement) => q.query<R>(s.text, s.values);

/** The publication of the outbox's inserts that the wal relay reads (pgoutput's publication_names). */
export const OUTBOX_PUBLICATION = "orderflow_outbox";

/** The role the wal relay connects as, where the deployment creates it (infra/compose/postgres-init.sql). */
export const RELAY_REPLICATION_ROLE = "relay_replication";

/** What every service's migration adds to the outbox: the publication of its inserts only (the
 *  relay never needs deletes or updates), and SELECT and DELETE on it for the replication role
 *  where that role exists (a test or shadow database has none). */
export const OUTBOX_PUBLICATION_SQL = `
CREATE PUBLICATION "${OUTBOX_PUBLICATION}" FOR TABLE "outbox" WITH (publish = 'insert');

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${RELAY_REPLICATION_ROLE}') THEN
    GRANT SELECT, DELETE ON "outbox" TO "${RELAY_REPLICATION_ROLE}";
  END IF;
END $$;
`;

export interface SlotState {
  /** false: the slot was never made, was dropped, or belongs to another database */
  exists: boolean;
  /** invalidated, e.g. because it held more than max_slot_wal_keep_size of WAL */
  lost: boolean;
  /** bytes of WAL between the server's current position and what the relay confirmed */
  lagBytes: number;
  /** where a reader starts: the end of the last transaction confirmed ("0/0" without a slot) */
  confirmedLsn: string;
  /** the database a slot of this name belongs to, when it is another one (slot names are
   *  cluster-wide) */
  otherDatabase?: string;
}

/** The state of `slot` on this database. */
export async function replicationSlot(q: Pg, slot: string): Promise<SlotState> {
  const r = await run<{
    wal_status: string | null;
    lag: string | null;
    confirmed: string | null;
    other: string | null;
  }>(
    q,
    sql`SELECT wal_status, (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint AS lag, confirmed_flush_lsn::text AS confirmed, nullif(database, current_database()) AS other FROM pg_replication_slots WHERE slot_name = ${slot}`,
  );
  const s = r.rows[0];
  if (!s) return { exists: false, lost: false, lagBytes: 0, confirmedLsn: "0/0" };
  if (s.other !== null) return { exists: false, lost: false, lagBytes: 0, confirmedLsn: "0/0", otherDatabase: s.other };
  return {
    exists: true,
    lost: s.wal_status === "lost",
    lagBytes: Math.max(0, Number(s.lag ?? 0)),
    confirmedLsn: s.confirmed ?? "0/0",
  };
}

/** A slot that lives as long as `session` does: filled in, then copied to a persistent one
 *  (copySlot), so a relay that dies half-way leaves no slot behind. */
export async function createTemporarySlot(session: pg.ClientBase, slot: string): Promise<void> {
  await run(session, sql`SELECT pg_create_logical_replication_slot(${slot}, 'pgoutput', true)`);
}

/** A persistent copy of `from` (same plugin and positions) named `to`. */
export async function copySlot(q: Pg, from: string, to: string): Promise<void> {
  await run(q, sql`SELECT pg_copy_logical_replication_slot(${from}, ${to}, false)`);
}

export async function dropSlot(q: Pg, slot: string): Promise<void> {
  await run(q, sql`SELECT pg_drop_replication_slot(${slot})`);
}

/** Up to `limit` outbox ids, lowest first, and the WAL insert position after they were read:
 *  every transaction that wrote them ends before that position. */
export async function outboxIdsBefore(q: Pg, limit: number): Promise<{ ids: string[]; lsn: string }> {
  const r = await run<{ ids: string[]; lsn: string }>(
    q,
    sql`SELECT coalesce(array_agg(id::text), '{}') AS ids, pg_current_wal_insert_lsn()::text AS lsn FROM (SELECT id FROM outbox ORDER BY id LIMIT ${limit}) o`,
  );
  return r.rows[0]!;
}

/** Deletes the outbox rows `ids`; how many went. */
export async function deleteOutboxRows(q: Pg, ids: string[]): Promise<number> {
  const r = await run(q, sql`DELETE FROM outbox WHERE id = ANY(${ids}::bigint[])`);
  return r.rowCount ?? 0;
}

/** The database's replication slots, then the database: PostgreSQL refuses to drop a database
 *  a slot belongs to, even an idle one. Readers holding a slot are ended first; a reader that
 *  takes a slot again before the drop (a relay still running) makes it try again, for 5 s. */
export async function dropDatabaseAndSlots(admin: pg.ClientBase, database: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL",
        [database],
      );
      await admin.query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active",
        [database],
      );
      await admin.query(`DROP DATABASE IF EXISTS "${database.replaceAll('"', '""')}" WITH (FORCE)`);
      return;
    } catch (err) {
      // 55006 object_in_use: a slot still active, or still there
      if ((err as { code?: string }).code !== "55006" || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
