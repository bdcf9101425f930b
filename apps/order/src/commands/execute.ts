// The one transaction every Order command runs in: load stream → decide → append events →
// outbox rows. The state change and the events it causes commit together or not at all (the
// saga consumer's runs, with their inbox, are apply-saga-event.ts).
import { emit, type EventSource } from "@orderflow/db-kit";
import type { OutboxInsert } from "@orderflow/db-kit";
import type { Logger } from "pino";
import type { Db, Tx } from "../db/client.js";
import {
  appendToStream,
  loadStream,
  startStream,
  startStreams,
  type NewStream,
  type StoredOrderEvent,
} from "../db/event-store.js";
import { decide, fold, type OrderCommand, type OrderEvent, type OrderState } from "../domain/order.js";

export const SERVICE = "order";

export interface CommandMeta {
  correlationId: string;
  /** the event or request that caused this command */
  causationId: string | null;
  traceparent?: string;
}

export interface OrderDeps {
  db: Db;
  clock: () => Date;
  newId: () => string;
  log: Logger;
  /** how long an Idempotency-Key's answer is kept (HTTP_IDEMPOTENCY_TTL_HOURS) */
  idempotencyTtlMs?: number;
}

export interface Executed {
  state: OrderState;
  events: StoredOrderEvent[];
}

export function toDomain(e: StoredOrderEvent): OrderEvent {
  return { type: e.type, data: e.data } as OrderEvent;
}

/** Where the order service's events come from (db-kit's envelope makes them). */
export function orderSource(deps: Pick<OrderDeps, "clock" | "newId">): EventSource {
  return { source: SERVICE, clock: deps.clock, newId: deps.newId };
}

/** The events `decide` answered, enveloped as caused by `meta`, with their outbox rows. */
function emitAll(
  deps: OrderDeps,
  events: OrderEvent[],
  meta: CommandMeta,
): { events: StoredOrderEvent[]; outbox: OutboxInsert[] } {
  const emitted = events.map((e) => emit(orderSource(deps), e, meta));
  return { events: emitted.map((x) => x.event), outbox: emitted.map((x) => x.outbox) };
}

/** A new order's stream (its id was just made): no history to load. */
export function newOrderStream(
  deps: OrderDeps,
  command: Extract<OrderCommand, { type: "PlaceOrder" }>,
  meta: CommandMeta,
): { stream: NewStream; executed: Executed } {
  const { events, outbox } = emitAll(deps, decide(command, undefined), meta);
  return {
    stream: { orderId: command.orderId, events, outbox },
    executed: { state: fold(events.map(toDomain)), events },
  };
}

/** Runs `command` in its own transaction, or inside `tx` when given (an idempotent HTTP command
 *  stores its answer in the same one). */
export async function execute(
  deps: OrderDeps,
  orderId: string,
  command: OrderCommand,
  meta: CommandMeta,
  tx?: Tx,
): Promise<Executed> {
  if (command.type === "PlaceOrder") {
    // a new order (its id was just made): no stream to load; on its own, one statement (shared with
    // the orders placed at the same moment) instead of a five-round-trip transaction (the hot path of
    // POST /orders; docs/performance.md)
    const { stream, executed } = newOrderStream(deps, command, meta);
    await (tx ? startStreams(tx, [stream]) : startStream(deps.db, stream));
    return executed;
  }
  const run = async (tx: Tx) => {
    const history = await loadStream(tx, orderId);
    const state = fold(history.map(toDomain));
    const { events, outbox } = emitAll(deps, decide(command, state), meta);
    await appendToStream(tx, orderId, state?.version ?? 0, events, outbox);
    return { state: fold(events.map(toDomain), state), events };
  };
  return tx ? run(tx) : deps.db.$transaction(run);
}
