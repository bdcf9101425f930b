import { outboxRowFor, recordInboxRunAndRead } from "@orderflow/db-kit";
import type { IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import { appendToStreams, streamsOf, streamsRead, type EventRow, type StoredOrderEvent } from "../db/event-store.js";
import { decide, fold, type OrderState } from "../domain/order.js";
import { commandFor, type SagaInput } from "../domain/reactions.js";
import { envelope, toDomain, type OrderDeps } from "./execute.js";

export const ORDER_GROUP = "order";

/** A payment or shipping outcome moves the order on (exactly once, through the inbox). */
export async function applySagaEvent(deps: OrderDeps, msg: IncomingEvent): Promise<void> {
  await applySagaEvents(deps, [msg]);
}

/** A run of outcomes in one transaction: all applied, or none (the consumer then applies them one
 *  by one). Set-based: the inbox record with the read of the run's streams, then the appends with
 *  their outbox rows: two statements whatever the run's length; outcomes for the same order apply in their order.
 *  A stream changed since it was read fails the run with a ConcurrencyConflict (retriable). */
export async function applySagaEvents(deps: OrderDeps, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger = () => deps.log): Promise<void> {
  await deps.db.$transaction(
    async (tx) => {
      // the inbox record and the run's streams in one round trip
      const { fresh, rows } = await recordInboxRunAndRead<IncomingEvent, EventRow>(tx, ORDER_GROUP, msgs, (m) => logFor(m).info("duplicate event ignored"), streamsRead([...new Set(msgs.map((m) => (m.event as SagaInput).data.orderId))], 3));
      if (fresh.length === 0) return;
      const streams = streamsOf(rows);
      const states = new Map<string, { loaded: number; state: OrderState; appended: StoredOrderEvent[] }>();
      for (const [orderId, history] of streams) states.set(orderId, { loaded: history.length, state: fold(history.map(toDomain)), appended: [] });
      const outbox = [];
      for (const msg of fresh) {
        const event = msg.event as SagaInput;
        const orderId = event.data.orderId;
        const s = states.get(orderId) ?? { loaded: 0, state: undefined, appended: [] };
        states.set(orderId, s);
        const command = commandFor(event);
        const emitted = command ? decide(command, s.state).map((e) => envelope(deps, e, { correlationId: event.correlationId, causationId: event.id })) : [];
        s.appended.push(...emitted);
        s.state = fold(emitted.map(toDomain), s.state);
        outbox.push(...emitted.map((e) => outboxRowFor(e, msg.headers.traceparent ? { traceparent: msg.headers.traceparent } : undefined)));
        logFor(msg).info({ orderId, emitted: emitted.map((e) => e.type), status: s.state?.status }, "event applied");
      }
      await appendToStreams(tx, [...states].map(([orderId, s]) => ({ orderId, expectedVersion: s.loaded, events: s.appended })), outbox);
    },
  );
}
