// Payment and shipping outcomes move orders on, a run at a time through db-kit's applyRun: the
// inbox record with the run's streams, decide per outcome in order, then the appends with their
// outbox rows through the event store.
import { applyRun, type RunSpec } from "@orderflow/db-kit";
import type { IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import { appendToStreams, streamsOf, streamsRead, type EventRow, type StoredOrderEvent } from "../db/event-store.js";
import { decide, fold, type OrderState } from "../domain/order.js";
import { commandFor, type SagaInput } from "../domain/reactions.js";
import { orderSource, toDomain, type OrderDeps } from "./execute.js";

export const ORDER_GROUP = "order";

/** An order's stream as a run leaves it: the version it was read at, its state, what the run appends. */
interface StreamSlot {
  loaded: number;
  state: OrderState;
  appended: StoredOrderEvent[];
}

/** Payment and shipping outcomes move orders on (exactly once, through the inbox). A run of
 *  outcomes in one transaction: all applied, or none (the consumer then applies them one by
 *  one). Two statements whatever the run's length; outcomes for the same order apply in their
 *  order. A stream changed since it was read fails the run with a ConcurrencyConflict (retriable). */
export async function applySagaEvents(
  deps: OrderDeps,
  msgs: IncomingEvent[],
  logFor: (msg: IncomingEvent) => Logger = () => deps.log,
): Promise<void> {
  await applyRun(deps.db, SAGA_RUN, orderSource(deps), msgs, logFor);
}

const SAGA_RUN: RunSpec<IncomingEvent, EventRow, StreamSlot> = {
  group: ORDER_GROUP,
  read: streamsRead,
  load: (rows) =>
    new Map(
      [...streamsOf(rows)].map(([orderId, history]) => [
        orderId,
        { loaded: history.length, state: fold(history.map(toDomain)), appended: [] },
      ]),
    ),
  step: (slot, msg, ctx) => {
    const event = msg.event as SagaInput;
    const s = slot ?? { loaded: 0, state: undefined, appended: [] };
    const command = commandFor(event);
    const emitted = command ? decide(command, s.state).map((e) => ctx.envelope(e)) : [];
    const next = {
      loaded: s.loaded,
      state: fold(emitted.map(toDomain), s.state),
      appended: [...s.appended, ...emitted],
    };
    return {
      state: next,
      emitted,
      note: {
        msg: "event applied",
        fields: { orderId: event.data.orderId, emitted: emitted.map((e) => e.type), status: next.state?.status },
      },
    };
  },
  write: (tx, { after, outbox }) =>
    appendToStreams(
      tx,
      [...after]
        .filter(([, s]) => s.appended.length > 0)
        .map(([orderId, s]) => ({ orderId, expectedVersion: s.loaded, events: s.appended })),
      outbox,
    ),
};
