// Projection storage: views, positions and generations. Each record is applied in one
// transaction with its position, so a crash and redelivery never applies it twice.
import type { OrderflowEvent } from "@orderflow/contracts";
import type { Db } from "../db/client.js";
import { lockPositionsAndViews, writeViewsAndPositions } from "../db/read-model.js";
import { emptyView, project, type RecordPosition } from "./order-view.js";

/** Apply records (in their order) to a generation (the live one when `generation` is "live") in
 *  one transaction with their positions, so a crash and redelivery never applies one twice; per
 *  record, whether it was applied (false: the generation's position was already past it). Set-based, two statements whatever the run's
 *  length: positions and views created-or-locked and read, then views and positions written. */
export async function applyRecords(
  db: Db,
  generation: number | "live",
  records: { event: OrderflowEvent; at: RecordPosition }[],
): Promise<boolean[]> {
  if (records.length === 0) return [];
  return db.$transaction(async (tx) => {
    const partitions = [...new Map(records.map((r) => [`${r.at.topic}|${r.at.partition}`, r.at])).values()].sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    );
    const firstOf = new Map<string, string>();
    for (const r of records)
      if (!firstOf.has(r.event.data.orderId)) firstOf.set(r.event.data.orderId, r.event.occurredAt);
    const blanks = [...firstOf.keys()].sort().map((id) => emptyView(id, firstOf.get(id)!));
    const read = await lockPositionsAndViews(tx, generation, partitions, blanks);
    if (!read.positions[0])
      throw new Error(
        generation === "live" ? "no live projection generation" : `no positions for generation ${generation}`,
      );
    const gen = read.positions[0].generation;
    const position = new Map(read.positions.map((p) => [`${p.topic}|${p.partition}`, BigInt(p.offset)]));
    const applied = records.map((r) => {
      const k = `${r.at.topic}|${r.at.partition}`;
      const offset = BigInt(r.at.offset);
      if ((position.get(k) ?? -1n) >= offset) return false;
      position.set(k, offset);
      return true;
    });
    const todo = records.filter((_, i) => applied[i]);
    if (todo.length === 0) return applied;
    const before = new Map(read.views.map((r) => [r.order_id, r.doc]));
    const views = new Map(before);
    for (const r of todo) views.set(r.event.data.orderId, project(views.get(r.event.data.orderId), r.event, r.at));
    const changed = [...views].filter(([id, v]) => v !== before.get(id)).map(([, v]) => v);
    const moved = partitions
      .map((p) => ({ ...p, offset: position.get(`${p.topic}|${p.partition}`)! }))
      .filter((p) => p.offset >= 0n);
    await writeViewsAndPositions(tx, gen, moved, changed);
    return applied;
  });
}
