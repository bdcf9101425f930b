// The read model's SQL: views, per-generation positions and generations (blue/green replays).
// The projection decides what to apply (projection/store.ts); these statements read and write it.
import { execute, joinSql, query, sql, type Statement } from "@orderflow/db-kit";
import type { OrderView } from "../projection/order-view.js";
import type { Db, Tx } from "./client.js";

export interface PositionRow {
  generation: number;
  topic: string;
  partition: number;
  offset: string;
}

/** One round trip: the generation's positions on these partitions created when new, else locked
 *  (an upsert that keeps the row), in sorted order so two runs lock alike; the live generation
 *  read under a share lock in the same statement (a switch waits for applies in flight); and each
 *  view row created from its blank or locked, and read, in one upsert too: records of one order
 *  arrive on three topics at once, and two first writers would otherwise both start from nothing
 *  and one overwrite the other. `partitions` and `blanks` come sorted. */
export async function lockPositionsAndViews(
  tx: Tx,
  generation: number | "live",
  partitions: { topic: string; partition: number }[],
  blanks: OrderView[],
): Promise<{ positions: PositionRow[]; views: { order_id: string; doc: OrderView }[] }> {
  const target =
    generation === "live"
      ? sql`SELECT generation FROM projection_generations WHERE status = 'live' FOR SHARE`
      : sql`SELECT ${generation}::int AS generation`;
  const [read] = await query<{ positions: PositionRow[] | null; views: { order_id: string; doc: OrderView }[] | null }>(
    tx,
    sql`WITH g AS (${target}),
       positions AS (
         INSERT INTO projection_positions (generation, topic, partition, "offset")
         SELECT g.generation, t, p, -1 FROM g, unnest(${partitions.map((p) => p.topic)}::text[], ${partitions.map((p) => p.partition)}::int[]) AS u(t, p) ORDER BY t, p
         ON CONFLICT (generation, topic, partition) DO UPDATE SET "offset" = projection_positions."offset"
         RETURNING generation, topic, partition, "offset"::text AS "offset"),
       views AS (
         INSERT INTO order_views (generation, order_id, doc, last_event_at) SELECT g.generation, id, doc, at FROM g, unnest(${blanks.map((b) => b.orderId)}::uuid[], ${blanks.map((b) => JSON.stringify(b))}::jsonb[], ${blanks.map((b) => b.lastEventAt)}::timestamptz[]) AS u(id, doc, at) ORDER BY id
         ON CONFLICT (generation, order_id) DO UPDATE SET doc = order_views.doc
         RETURNING order_id::text, doc)
       SELECT (SELECT json_agg(positions) FROM positions) AS positions, (SELECT json_agg(views) FROM views) AS views`,
  );
  return { positions: read?.positions ?? [], views: read?.views ?? [] };
}

/** The changed views and the moved positions in one statement (a data-modifying WITH always
 *  runs); a position only ever moves forward. */
export async function writeViewsAndPositions(
  tx: Tx,
  generation: number,
  moved: { topic: string; partition: number; offset: bigint }[],
  changed: OrderView[],
): Promise<void> {
  const positions = sql`UPDATE projection_positions p SET "offset" = u.o FROM unnest(${moved.map((p) => p.topic)}::text[], ${moved.map((p) => p.partition)}::int[], ${moved.map((p) => String(p.offset))}::bigint[]) AS u(t, pa, o) WHERE p.generation = ${generation} AND p.topic = u.t AND p.partition = u.pa AND p."offset" < u.o`;
  if (changed.length === 0) {
    await execute(tx, positions);
    return;
  }
  await execute(
    tx,
    sql`WITH written AS (
         INSERT INTO order_views (generation, order_id, customer_id, status, doc, last_event_at, applied_at)
         SELECT ${generation}, id, customer_id, status, doc, at, now() FROM unnest(${changed.map((v) => v.orderId)}::uuid[], ${changed.map((v) => v.customerId)}::text[], ${changed.map((v) => v.status)}::text[], ${changed.map((v) => JSON.stringify(v))}::jsonb[], ${changed.map((v) => v.lastEventAt)}::timestamptz[]) AS v(id, customer_id, status, doc, at)
         ON CONFLICT (generation, order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, doc = EXCLUDED.doc, last_event_at = EXCLUDED.last_event_at, applied_at = now()
       ) ${positions}`,
  );
}

export interface ViewRow {
  generation: number;
  view: OrderView;
  appliedAt: Date;
}

export async function readView(db: Db, orderId: string): Promise<ViewRow | undefined> {
  const rows = await query<{ generation: number; doc: OrderView; applied_at: Date }>(
    db,
    sql`SELECT v.generation, v.doc, v.applied_at FROM order_views v JOIN projection_generations g ON g.generation = v.generation AND g.status = 'live' WHERE v.order_id = ${orderId}::uuid`,
  );
  return rows[0] ? { generation: rows[0].generation, view: rows[0].doc, appliedAt: rows[0].applied_at } : undefined;
}

export interface ListQuery {
  customerId?: string;
  status?: string;
  limit: number;
  /** the last order id of the previous page */
  after?: string;
}

export async function listViews(db: Db, q: ListQuery): Promise<OrderView[]> {
  const where: Statement[] = [sql`g.status = 'live'`];
  if (q.customerId) where.push(sql`v.customer_id = ${q.customerId}`);
  if (q.status) where.push(sql`v.status = ${q.status}`);
  // order ids are uuid v7: newest first is descending id
  if (q.after) where.push(sql`v.order_id < ${q.after}::uuid`);
  const rows = await query<{ doc: OrderView }>(
    db,
    sql`SELECT v.doc FROM order_views v JOIN projection_generations g ON g.generation = v.generation WHERE ${joinSql(where, " AND ")} ORDER BY v.order_id DESC LIMIT ${q.limit}`,
  );
  return rows.map((r) => r.doc);
}

export interface ProjectionStatus {
  live: number;
  generations: { generation: number; status: string; createdAt: Date; switchedAt: Date | null; views: number }[];
  lastAppliedAt: Date | null;
}

export async function projectionStatus(db: Db): Promise<ProjectionStatus> {
  const gens = await query<{
    generation: number;
    status: string;
    created_at: Date;
    switched_at: Date | null;
    views: bigint;
  }>(
    db,
    sql`SELECT g.generation, g.status, g.created_at, g.switched_at, (SELECT count(*) FROM order_views v WHERE v.generation = g.generation) AS views FROM projection_generations g ORDER BY g.generation`,
  );
  const live = gens.find((g) => g.status === "live")!.generation;
  const [last] = await query<{ at: Date | null }>(
    db,
    sql`SELECT max(applied_at) AS at FROM order_views WHERE generation = ${live}`,
  );
  return {
    live,
    generations: gens.map((g) => ({
      generation: g.generation,
      status: g.status,
      createdAt: g.created_at,
      switchedAt: g.switched_at,
      views: Number(g.views),
    })),
    lastAppliedAt: last?.at ?? null,
  };
}

/** Switches to `building` if it has applied at least what the live generation has, on every
 *  partition, under an exclusive lock on the live generation (which live applies hold shared). */
export async function switchIfCaughtUp(db: Db, building: number): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const [live] = await query<{ generation: number }>(
      tx,
      sql`SELECT generation FROM projection_generations WHERE status = 'live' FOR UPDATE`,
    );
    const behind = await query<unknown>(
      tx,
      sql`SELECT 1 FROM projection_positions l LEFT JOIN projection_positions b ON b.generation = ${building} AND b.topic = l.topic AND b.partition = l.partition
       WHERE l.generation = ${live!.generation} AND l."offset" >= 0 AND (b."offset" IS NULL OR b."offset" < l."offset") LIMIT 1`,
    );
    if (behind.length > 0) return false;
    await execute(tx, sql`UPDATE projection_generations SET status = 'retired' WHERE generation = ${live!.generation}`);
    await execute(
      tx,
      sql`UPDATE projection_generations SET status = 'live', switched_at = now() WHERE generation = ${building}`,
    );
    return true;
  });
}

/** A new generation to build, unless one is being built already (then that one, as `busy`). */
export async function startGeneration(db: Db): Promise<{ generation: number } | { busy: number }> {
  return db.$transaction(async (tx) => {
    const [busy] = await query<{ generation: number }>(
      tx,
      sql`SELECT generation FROM projection_generations WHERE status = 'building'`,
    );
    if (busy) return { busy: busy.generation };
    const [{ next }] = (await query<{ next: number }>(
      tx,
      sql`SELECT max(generation) + 1 AS next FROM projection_generations`,
    )) as [{ next: number }];
    await execute(tx, sql`INSERT INTO projection_generations (generation, status) VALUES (${next}, 'building')`);
    return { generation: next };
  });
}

export async function markGenerationFailed(db: Db, generation: number): Promise<void> {
  await execute(db, sql`UPDATE projection_generations SET status = 'failed' WHERE generation = ${generation}`);
}
