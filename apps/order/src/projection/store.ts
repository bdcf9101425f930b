// Projection storage: views, positions and generations. Each record is applied in one
// transaction with its position, so a crash and redelivery never applies it twice.
import type { OrderflowEvent } from "@orderflow/contracts";
import type { Db, Tx } from "../db/client.js";
import { emptyView, project, type OrderView, type RecordPosition } from "./order-view.js";

export async function liveGeneration(db: Db | Tx, lock?: "share" | "update"): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ generation: number }[]>(
    `SELECT generation FROM projection_generations WHERE status = 'live'${lock === "share" ? " FOR SHARE" : lock === "update" ? " FOR UPDATE" : ""}`,
  );
  if (!rows[0]) throw new Error("no live projection generation");
  return rows[0].generation;
}

/** Apply one record to a generation (the live one when `generation` is "live"); false when the
 *  generation had already applied it. */
export async function applyRecord(db: Db, generation: number | "live", event: OrderflowEvent, at: RecordPosition): Promise<boolean> {
  return db.$transaction(async (tx) => {
    // the live generation is read under a share lock: a switch waits for applies in flight
    const gen = generation === "live" ? await liveGeneration(tx, "share") : generation;
    await tx.$executeRawUnsafe(`INSERT INTO projection_positions (generation, topic, partition, "offset") VALUES ($1, $2, $3, -1) ON CONFLICT DO NOTHING`, gen, at.topic, at.partition);
    const [pos] = await tx.$queryRawUnsafe<{ offset: bigint }[]>(`SELECT "offset" FROM projection_positions WHERE generation = $1 AND topic = $2 AND partition = $3 FOR UPDATE`, gen, at.topic, at.partition);
    if (pos && BigInt(pos.offset) >= BigInt(at.offset)) return false;
    const orderId = event.data.orderId;
    // records of one order arrive on three topics at once: make sure the row exists, then lock
    // it, or two first writers would both start from nothing and one would overwrite the other
    const blank = emptyView(orderId, event.occurredAt);
    await tx.$executeRawUnsafe(
      `INSERT INTO order_views (generation, order_id, doc, last_event_at) VALUES ($1, $2::uuid, $3::jsonb, $4::timestamptz) ON CONFLICT DO NOTHING`,
      gen, orderId, JSON.stringify(blank), blank.lastEventAt,
    );
    const [row] = await tx.$queryRawUnsafe<{ doc: OrderView }[]>(`SELECT doc FROM order_views WHERE generation = $1 AND order_id = $2::uuid FOR UPDATE`, gen, orderId);
    const view = project(row!.doc, event, at);
    if (view !== row!.doc) {
      await tx.$executeRawUnsafe(
        `INSERT INTO order_views (generation, order_id, customer_id, status, doc, last_event_at, applied_at) VALUES ($1, $2::uuid, $3, $4, $5::jsonb, $6::timestamptz, now())
         ON CONFLICT (generation, order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, doc = EXCLUDED.doc, last_event_at = EXCLUDED.last_event_at, applied_at = now()`,
        gen, orderId, view.customerId, view.status, JSON.stringify(view), view.lastEventAt,
      );
    }
    await tx.$executeRawUnsafe(`UPDATE projection_positions SET "offset" = $4 WHERE generation = $1 AND topic = $2 AND partition = $3`, gen, at.topic, at.partition, BigInt(at.offset));
    return true;
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
