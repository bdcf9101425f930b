// The order commands run once per Idempotency-Key: the command and its stored answer commit in
// one transaction (db/idempotency.ts).
import { deleteExpiredKeys, once, type StoredResponse } from "../db/idempotency.js";
import type { Order } from "../domain/order.js";
import { cancelOrder, retryingConflicts } from "./cancel-order.js";
import type { CommandMeta, OrderDeps } from "./execute.js";
import { placeOrder, type PlaceOrderInput } from "./place-order.js";

export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** Who sent which key for which request (a digest of method, path and body). */
export interface IdempotentRequest {
  subject: string;
  key: string;
  fingerprint: string;
}

/** How an outcome is answered: what a retry of the request gets back. */
export type Respond = (order: Order) => StoredResponse;

export interface IdempotentResult {
  response: StoredResponse;
  replayed: boolean;
}

const claimOf = (deps: OrderDeps, r: IdempotentRequest) => ({ ...r, ttlMs: deps.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS });

export function placeOrderOnce(deps: OrderDeps, input: PlaceOrderInput, meta: CommandMeta, request: IdempotentRequest, respond: Respond): Promise<IdempotentResult> {
  return once(deps.db, claimOf(deps, request), async (tx) => respond(await placeOrder(deps, input, meta, tx)));
}

export function cancelOrderOnce(deps: OrderDeps, orderId: string, detail: string | undefined, meta: CommandMeta, request: IdempotentRequest, respond: Respond): Promise<IdempotentResult> {
  // a conflict aborts the transaction the key is claimed in, so the whole claim is tried again
  return retryingConflicts(() => once(deps.db, claimOf(deps, request), async (tx) => respond(await cancelOrder(deps, orderId, detail, meta, tx))));
}

/** Deletes expired keys every `everyMs` (and once at start); stop() ends it. */
export function sweepExpiredKeys(deps: OrderDeps, everyMs: number): { stop(): void } {
  const sweep = () =>
    deleteExpiredKeys(deps.db).then(
      (n) => void (n > 0 && deps.log.info({ deleted: n }, "expired idempotency keys deleted")),
      (err: unknown) => deps.log.warn({ errorMessage: (err as Error).message }, "idempotency key sweep failed; trying again later"),
    );
  void sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
