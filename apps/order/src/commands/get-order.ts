import { loadStream, type StoredOrderEvent } from "../db/event-store.js";
import { fold, type OrderState } from "../domain/order.js";
import { toDomain, type OrderDeps } from "./execute.js";

/** The order's current state, folded from its events (the write model). */
export async function getOrder(
  deps: Pick<OrderDeps, "db">,
  orderId: string,
): Promise<{ state: OrderState; events: StoredOrderEvent[] }> {
  const events = await loadStream(deps.db, orderId);
  return { state: fold(events.map(toDomain)), events };
}
