import type { IncomingEvent } from "@orderflow/kafka";
import { commandFor, type SagaInput } from "../domain/reactions.js";
import { execute, type OrderDeps } from "./execute.js";

export const ORDER_GROUP = "order";

/** A payment or shipping outcome moves the order on (exactly once, through the inbox). */
export async function applySagaEvent(deps: OrderDeps, msg: IncomingEvent): Promise<void> {
  const event = msg.event as SagaInput;
  const r = await execute(deps, event.data.orderId, commandFor(event), { correlationId: event.correlationId, causationId: event.id, ...(msg.headers.traceparent ? { traceparent: msg.headers.traceparent } : {}) }, { group: ORDER_GROUP, eventId: event.id });
  if (r.duplicate) deps.log.info({ eventId: event.id, eventType: event.type }, "duplicate event ignored");
  else deps.log.info({ eventId: event.id, eventType: event.type, orderId: event.data.orderId, emitted: r.events.map((e) => e.type), status: r.state?.status }, "event applied");
}
