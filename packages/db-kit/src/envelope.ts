// The one place an emitted event gets its envelope (id, time, correlation, causation, source) and
// its outbox row (with the trace it continues): every service's events are made here, and each is
// validated against its contract as it is made (createEvent), so a bad one is refused at the edge.
import { createEvent, type EventData, type EventOf, type EventType, type OrderflowEvent } from "@orderflow/contracts";
import { outboxRowFor, type OutboxInsert } from "./outbox.js";

/** What a service's events are made with: its name, its clock and its ids (data, so tests fix them). */
export interface EventSource {
  source: string;
  clock: () => Date;
  newId: () => string;
}

/** What an emitted event follows from: the correlation it continues, the event or request that
 *  caused it, and the trace it belongs to. */
export interface Cause {
  correlationId: string;
  causationId: string | null;
  traceparent?: string | undefined;
}

/** An event as a domain function states it: its type and data, no envelope yet. */
export type Outcome = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** An enveloped event and the outbox row that publishes it. */
export interface Emitted<E extends OrderflowEvent = OrderflowEvent> {
  event: E;
  outbox: OutboxInsert;
}

/** The cause a consumed event gives the events it leads to. */
export function causeOf(msg: { event: OrderflowEvent; headers: Readonly<Record<string, string | undefined>> }): Cause {
  return { correlationId: msg.event.correlationId, causationId: msg.event.id, traceparent: msg.headers.traceparent };
}

/** `outcome` as an event of `src` caused by `cause`: a new id, the time now, checked against its contract. */
export function envelope<O extends Outcome>(src: EventSource, outcome: O, cause: Cause): EventOf<O["type"]> {
  return createEvent(outcome.type, outcome.data as never, {
    id: src.newId(),
    occurredAt: src.clock().toISOString(),
    correlationId: cause.correlationId,
    causationId: cause.causationId,
    source: src.source,
  }) as EventOf<O["type"]>;
}

/** The outbox row of `event`, carrying the cause's trace. */
export function outboxRowOf(event: OrderflowEvent, cause: Cause): OutboxInsert {
  return outboxRowFor(event, cause.traceparent ? { traceparent: cause.traceparent } : undefined);
}

/** `outcome` enveloped, with its outbox row. */
export function emit<O extends Outcome>(src: EventSource, outcome: O, cause: Cause): Emitted<EventOf<O["type"]>> {
  const event = envelope(src, outcome, cause);
  return { event, outbox: outboxRowOf(event, cause) };
}
