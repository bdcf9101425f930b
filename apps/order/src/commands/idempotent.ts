// The order commands run once per Idempotency-Key: the command and its stored answer commit
// together (db/idempotency.ts), a new order's in the one statement that starts its stream.
import { startStream } from "../db/event-store.js";
import { deleteExpiredKeys, IdempotencyKeyInFlight, once, type StoredResponse } from "../db/idempotency.js";
import type { Order } from "../domain/order.js";
import { cancelOrder, retryingConflicts } from "./cancel-order.js";
import { newOrderStream, type CommandMeta, type OrderDeps } from "./execute.js";
import { placeOrder, placeOrderCommand, type PlaceOrderInput } from "./place-order.js";

const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600_000;

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

const claimOf = (deps: OrderDeps, r: IdempotentRequest) => ({
  ...r,
  ttlMs: deps.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS,
});

/** The keys this process is answering right now, per database: a retry that reaches the same
 *  replica while its first request runs is refused at once (across replicas, the key's advisory
 *  lock refuses it), and two uses of one key never meet in one group-committed statement. */
const inFlight = new WeakMap<object, Set<string>>();

/** A new order and its key's answer in one group-committed statement; only a key already taken
 *  (a retry, or a reuse) goes on to the transaction that reads the stored answer. */
export async function placeOrderOnce(
  deps: OrderDeps,
  input: PlaceOrderInput,
  meta: CommandMeta,
  request: IdempotentRequest,
  respond: Respond,
): Promise<IdempotentResult> {
  let running = inFlight.get(deps.db);
  if (!running) inFlight.set(deps.db, (running = new Set()));
  const id = `${request.subject} ${request.key}`;
  if (running.has(id)) throw new IdempotencyKeyInFlight();
  running.add(id);
  try {
    const { stream, executed } = newOrderStream(deps, placeOrderCommand(deps.newId(), input), meta);
    const response = respond(executed.state!);
    const outcome = await startStream(deps.db, { ...stream, key: { ...claimOf(deps, request), response } });
    if (outcome.started) return { response, replayed: false };
    if (outcome.keyInFlight) throw new IdempotencyKeyInFlight();
    // a stored answer: replayed, or refused for another request (and should it have expired by
    // now, the command runs there after all)
    return await once(deps.db, claimOf(deps, request), async (tx) => respond(await placeOrder(deps, input, meta, tx)));
  } finally {
    running.delete(id);
  }
}

export function cancelOrderOnce(
  deps: OrderDeps,
  orderId: string,
  detail: string | undefined,
  meta: CommandMeta,
  request: IdempotentRequest,
  respond: Respond,
): Promise<IdempotentResult> {
  // a conflict aborts the transaction the key is claimed in, so the whole claim is tried again
  return retryingConflicts(() =>
    once(deps.db, claimOf(deps, request), async (tx) => respond(await cancelOrder(deps, orderId, detail, meta, tx))),
  );
}

/** Deletes expired keys every `everyMs` (and once at start); stop() ends it. */
export function sweepExpiredKeys(deps: OrderDeps, everyMs: number): { stop(): void } {
  const sweep = () =>
    deleteExpiredKeys(deps.db).then(
      (n) => void (n > 0 && deps.log.info({ deleted: n }, "expired idempotency keys deleted")),
      (err: unknown) =>
        deps.log.warn({ errorMessage: (err as Error).message }, "idempotency key sweep failed; trying again later"),
    );
  void sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
