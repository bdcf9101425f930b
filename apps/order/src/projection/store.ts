// Projection storage: views, positions and generations. Each record is applied in one
// transaction with its position, so a crash and redelivery never applies it twice.
import type { OrderflowEvent } from "@orderflow/contracts";
import type { Db } from "../db/client.js";
import { emptyView, project, type OrderView, type RecordPosition } from "./order-view.js";

/** Apply one record to a generation (the live one when `generation` is "live"); false when the
 *  generation had already applied it. */
export async function applyRecord(db: Db, generation: number | "live", event: OrderflowEvent, at: RecordPosition): Promise<boolean> {
  return (await applyRecords(db, generation, [{ event, at }]))[0]!;
}

/** Apply records (in their order) to a generation in one transaction with their positions, so a
 *  crash and redelivery never applies one twice; per record, whether it was applied (false: the
 *  generation's position was already past it). Set-based, two statements whatever the run's
 *  length: positions and views created-or-locked and read, then views and positions written. */
export async function applyRecords(db: Db, generation: number | "live", records: { event: OrderflowEvent; at: RecordPosition }[]): Promise<boolean[]> {
  if (records.length === 0) return [];
  return db.$transaction(async (tx) => {
    // one round trip: positions created when new, else locked (an upsert that keeps the row), in
    // sorted order so two runs lock alike; the live generation read under a share lock in the same
    // statement (a switch waits for applies in flight); and each view row the run touches created
    // or locked, and read, in one upsert too: records of one order arrive on three topics at once,
    // and two first writers would otherwise both start from nothing and one overwrite the other
    const partitions = [...new Map(records.map((r) => [`${r.at.topic}|${r.at.partition}`, r.at])).values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const target = generation === "live" ? `SELECT generation FROM projection_generations WHERE status = 'live' FOR SHARE` : `SELECT $6::int AS generation`;
    const firstOf = new Map<string, string>();
    for (const r of records) if (!firstOf.has(r.event.data.orderId)) firstOf.set(r.event.data.orderId, r.event.occurredAt);
    const orderIds = [...firstOf.keys()].sort();
    const blanks = orderIds.map((id) => emptyView(id, firstOf.get(id)!));
    const [read] = await tx.$queryRawUnsafe<{ positions: { generation: number; topic: string; partition: number; offset: string }[] | null; views: { order_id: string; doc: OrderView }[] | null }[]>(
      `WITH g AS (${target}),
       positions AS (
         INSERT INTO projection_positions (generation, topic, partition, "offset")
         SELECT g.generation, t, p, -1 FROM g, unnest($1::text[], $2::int[]) AS u(t, p) ORDER BY t, p
         ON CONFLICT (generation, topic, partition) DO UPDATE SET "offset" = projection_positions."offset"
         RETURNING generation, topic, partition, "offset"::text AS "offset"),
       views AS (
         INSERT INTO order_views (generation, order_id, doc, last_event_at) SELECT g.generation, id, doc, at FROM g, unnest($3::uuid[], $4::jsonb[], $5::timestamptz[]) AS u(id, doc, at) ORDER BY id
         ON CONFLICT (generation, order_id) DO UPDATE SET doc = order_views.doc
         RETURNING order_id::text, doc)
       SELECT (SELECT json_agg(positions) FROM positions) AS positions, (SELECT json_agg(views) FROM views) AS views`,
      partitions.map((p) => p.topic), partitions.map((p) => p.partition), orderIds, blanks.map((b) => JSON.stringify(b)), blanks.map((b) => b.lastEventAt), ...(generation === "live" ? [] : [generation]),
    );
    const positions = read?.positions ?? [];
    if (!positions[0]) throw new Error(generation === "live" ? "no live projection generation" : `no positions for generation ${generation}`);
    const gen = positions[0].generation;
    const position = new Map(positions.map((p) => [`${p.topic}|${p.partition}`, BigInt(p.offset)]));
    const applied = records.map((r) => {
      const k = `${r.at.topic}|${r.at.partition}`;
      const offset = BigInt(r.at.offset);
      if ((position.get(k) ?? -1n) >= offset) return false;
      position.set(k, offset);
      return true;
    });
    const todo = records.filter((_, i) => applied[i]);
    if (todo.length === 0) return applied;
    const rows = read?.views ?? [];
    const before = new Map(rows.map((r) => [r.order_id, r.doc]));
    const views = new Map(before);
    for (const r of todo) views.set(r.event.data.orderId, project(views.get(r.event.data.orderId), r.event, r.at));
    const changed = [...views].filter(([id, v]) => v !== before.get(id)).map(([, v]) => v);
    const moved = partitions.filter((p) => position.get(`${p.topic}|${p.partition}`)! >= 0n);
    const positionsSql = `UPDATE projection_positions p SET "offset" = u.o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, pa, o) WHERE p.generation = $1 AND p.topic = u.t AND p.partition = u.pa AND p."offset" < u.o`;
    const positionArgs = [gen, moved.map((p) => p.topic), moved.map((p) => p.partition), moved.map((p) => String(position.get(`${p.topic}|${p.partition}`)))];
    if (changed.length === 0) {
      await tx.$executeRawUnsafe(positionsSql, ...positionArgs);
      return applied;
    }
    // the views and the positions in one statement (a data-modifying WITH always runs)
    await tx.$executeRawUnsafe(
      `WITH written AS (
         INSERT INTO order_views (generation, order_id, customer_id, status, doc, last_event_at, applied_at)
         SELECT $1, id, customer_id, status, doc, at, now() FROM unnest($5::uuid[], $6::text[], $7::text[], $8::jsonb[], $9::timestamptz[]) AS v(id, customer_id, status, doc, at)
         ON CONFLICT (generation, order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, doc = EXCLUDED.doc, last_event_at = EXCLUDED.last_event_at, applied_at = now()
       ) ${positionsSql}`,
      ...positionArgs, changed.map((v) => v.orderId), changed.map((v) => v.customerId), changed.map((v) => v.status), changed.map((v) => JSON.stringify(v)), changed.map((v) => v.lastEventAt),
    );
    return applied;
  });
}

export interface ViewRow {
  generation: number;
  view: OrderView;
  appliedAt: Date;
}

export async function readView(db: Db, orderId: string): Promise<ViewRow | undefined> {
  const rows = await db.$queryRawUnsafe<{ generation: number; doc: OrderView; applied_at: Date }[]>(
    `SELECT v.generation, v.doc, v.applied_at FROM order_views v JOIN projection_generations g ON g.generation = v.generation AND g.status = 'live' WHERE v.order_id = $1::uuid`,
    orderId,
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
  const where = ["g.status = 'live'"];
  const args: unknown[] = [];
  if (q.customerId) where.push(`v.customer_id = $${args.push(q.customerId)}`);
  if (q.status) where.push(`v.status = $${args.push(q.status)}`);
  // order ids are uuid v7: newest first is descending id
  if (q.after) where.push(`v.order_id < $${args.push(q.after)}::uuid`);
  const rows = await db.$queryRawUnsafe<{ doc: OrderView }[]>(
    `SELECT v.doc FROM order_views v JOIN projection_generations g ON g.generation = v.generation WHERE ${where.join(" AND ")} ORDER BY v.order_id DESC LIMIT $${args.push(q.limit)}`,
    ...args,
  );
  return rows.map((r) => r.doc);
}

export interface ProjectionStatus {
  live: number;
  generations: { generation: number; status: string; createdAt: Date; switchedAt: Date | null; views: number }[];
  lastAppliedAt: Date | null;
}

export async function projectionStatus(db: Db): Promise<ProjectionStatus> {
  const gens = await db.$queryRawUnsafe<{ generation: number; status: string; created_at: Date; switched_at: Date | null; views: bigint }[]>(
    `SELECT g.generation, g.status, g.created_at, g.switched_at, (SELECT count(*) FROM order_views v WHERE v.generation = g.generation) AS views FROM projection_generations g ORDER BY g.generation`,
  );
  const live = gens.find((g) => g.status === "live")!.generation;
  const [last] = await db.$queryRawUnsafe<{ at: Date | null }[]>(`SELECT max(applied_at) AS at FROM order_views WHERE generation = $1`, live);
  return { live, generations: gens.map((g) => ({ generation: g.generation, status: g.status, createdAt: g.created_at, switchedAt: g.switched_at, views: Number(g.views) })), lastAppliedAt: last?.at ?? null };
}
