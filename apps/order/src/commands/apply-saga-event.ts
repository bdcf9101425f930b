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

/** An order's stream as a run leaves it: the version it was read at, its state, what the run
 *  appends, and when it was placed (its OrderPlaced, read with the stream anyway). */
interface StreamSlot {
  loaded: number;
  state: OrderState;
  appended: StoredOrderEvent[];
  placedAt: string | undefined;
}

/** How an order's saga ended, as orderflow_saga_duration_seconds labels it. */
type SagaOutcome = "shipped" | "cancelled";

/** Told once per order whose terminal event a committed run recorded: OrderPlaced → that event. */
export type SagaEnded = (outcome: SagaOutcome, seconds: number) => void;

const OUTCOME_OF: Partial<Record<StoredOrderEvent["type"], SagaOutcome>> = {
  OrderShipped: "shipped",
  OrderCancelled: "cancelled",
};

/** Payment and shipping outcomes move orders on (exactly once, through the inbox). A run of
 *  outcomes in one transaction: all applied, or none (the consumer then applies them one by
 *  one). Two statements whatever the run's length; outcomes for the same order apply in their
 *  order. A stream changed since it was read fails the run with a ConcurrencyConflict (retriable). */
export async function applySagaEvents(
  deps: OrderDeps & { sagaEnded?: SagaEnded },
  msgs: IncomingEvent[],
  logFor: (msg: IncomingEvent) => Logger = () => deps.log,
): Promise<void> {
  const changes = await applyRun(deps.db, SAGA_RUN, orderSource(deps), msgs, logFor);
  // only after the commit: a run rolled back (and then applied record by record) is counted once
  if (changes && deps.sagaEnded) for (const slot of changes.after.values()) sagaEnd(slot, deps.sagaEnded);
}

function sagaEnd(slot: StreamSlot, ended: SagaEnded): void {
  for (const e of slot.appended) {
    const outcome = OUTCOME_OF[e.type];
    if (outcome && slot.placedAt) ended(outcome, (Date.parse(e.occurredAt) - Date.parse(slot.placedAt)) / 1000);
  }
}

const SAGA_RUN: RunSpec<IncomingEvent, EventRow, StreamSlot> = {
  group: ORDER_GROUP,
  read: streamsRead,
  load: (rows) =>
    new Map(
      [...streamsOf(rows)].map(([orderId, history]) => [
        orderId,
        {
          loaded: history.length,
          state: fold(history.map(toDomain)),
          appended: [],
          placedAt: history.find((e) => e.type === "OrderPlaced")?.occurredAt,
        },
      ]),
    ),
  step: (slot, msg, ctx) => {
    const event = msg.event as SagaInput;
    const s = slot ?? { loaded: 0, state: undefined, appended: [], placedAt: undefined };
    const command = commandFor(event);
    const emitted = command ? decide(command, s.state).map((e) => ctx.envelope(e)) : [];
    const next = {
      ...s,
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
