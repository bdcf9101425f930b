// `rebuild <orderId>`: fold the order's events again and compare with what the read model holds.
import type { Order } from "../domain/order.js";
import type { OrderView } from "../projection/order-view.js";
import { readView } from "../db/read-model.js";
import type { OrderDeps } from "./execute.js";
import { getOrder } from "./get-order.js";

export interface Rebuilt {
  orderId: string;
  folded: Order | undefined;
  events: number;
  view: OrderView | undefined;
  matches: boolean;
  differences: string[];
}

export async function rebuildOrder(deps: Pick<OrderDeps, "db">, orderId: string): Promise<Rebuilt> {
  const [{ state, events }, row] = await Promise.all([getOrder(deps, orderId), readView(deps.db, orderId)]);
  const view = row?.view;
  const differences: string[] = [];
  if (!state) differences.push("no events for this order");
  if (!view) differences.push("not in the read model");
  if (state && view) {
    const pairs: [string, unknown, unknown][] = [
      ["status", state.status, view.status],
      ["customerId", state.customerId, view.customerId],
      ["items", state.items, view.items],
      ["totalAmount", state.totalAmount, view.totalAmount],
      ["currency", state.currency, view.currency],
      ["cancellation.reason", state.cancellation?.reason ?? null, view.cancellation?.reason ?? null],
      ["order events in the timeline", events.length, view.timeline.filter((t) => t.source === "order").length],
    ];
    for (const [field, folded, held] of pairs) {
      if (JSON.stringify(folded) !== JSON.stringify(held))
        differences.push(`${field}: events say ${JSON.stringify(folded)}, read model holds ${JSON.stringify(held)}`);
    }
  }
  return { orderId, folded: state, events: events.length, view, matches: differences.length === 0, differences };
}
