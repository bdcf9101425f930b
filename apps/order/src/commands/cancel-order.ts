import type { Order } from "../domain/order.js";
import { ConcurrencyConflict } from "../db/event-store.js";
import { execute, type CommandMeta, type OrderDeps } from "./execute.js";

const ATTEMPTS = 3;

/** A customer's cancel. A concurrent change to the order (a payment landing at the same
 *  moment) is retried against the new state; the decider then says what the cancel means. */
export async function cancelOrder(deps: OrderDeps, orderId: string, detail: string | undefined, meta: CommandMeta): Promise<Order> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await execute(deps, orderId, { type: "CancelOrder", orderId, reason: "CUSTOMER_REQUESTED", ...(detail ? { detail } : {}) }, meta);
      return r.state!;
    } catch (e) {
      if (!(e instanceof ConcurrencyConflict) || attempt >= ATTEMPTS) throw e;
    }
  }
}
