import type { Tx } from "../db/client.js";
import type { Order } from "../domain/order.js";
import { ConcurrencyConflict } from "../db/event-store.js";
import { execute, type CommandMeta, type OrderDeps } from "./execute.js";

const ATTEMPTS = 3;

/** Runs `attempt` again when another writer changed the order first: the decider then says what
 *  the command means against the new state. */
export async function retryingConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof ConcurrencyConflict) || n >= ATTEMPTS) throw e;
    }
  }
}

/** A customer's cancel. On its own, a concurrent change to the order (a payment landing at the
 *  same moment) is retried against the new state; inside `tx`, whoever owns `tx` retries. */
export async function cancelOrder(
  deps: OrderDeps,
  orderId: string,
  detail: string | undefined,
  meta: CommandMeta,
  tx?: Tx,
): Promise<Order> {
  const attempt = async () =>
    (
      await execute(
        deps,
        orderId,
        { type: "CancelOrder", orderId, reason: "CUSTOMER_REQUESTED", ...(detail ? { detail } : {}) },
        meta,
        tx,
      )
    ).state!;
  return tx ? attempt() : retryingConflicts(attempt);
}
