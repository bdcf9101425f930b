// One order event → at most one shipment change and the event it causes, in one transaction with
// the inbox record, so a redelivered event changes nothing.
import { recordInbox } from "@orderflow/db-kit";
import type { IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import type { Tx } from "../db/client.js";
import { insertPendingShipment, lockShipmentOfOrder, saveOutcome } from "../db/shipments.js";
import { actionFor, cancel, type OrderTopicEvent } from "../domain/shipment.js";
import { SERVICE, SHIPPING_GROUP, type ShippingDeps } from "./deps.js";

export async function handleOrderEvent(deps: ShippingDeps, msg: IncomingEvent): Promise<void> {
  await deps.db.$transaction((tx) => applyOrderEvent(deps, tx, msg));
}

/** A run of order events in one transaction: all applied, or none (the consumer then retries
 *  them one by one). One commit for the run instead of one per event. */
export async function handleOrderEvents(deps: ShippingDeps, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger = () => deps.log): Promise<void> {
  await deps.db.$transaction(
    async (tx) => {
      for (const msg of msgs) await applyOrderEvent({ ...deps, log: logFor(msg) }, tx, msg);
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

async function applyOrderEvent(deps: ShippingDeps, tx: Tx, msg: IncomingEvent): Promise<void> {
  const event = msg.event as OrderTopicEvent;
  if (!(await recordInbox(tx, SHIPPING_GROUP, event.id))) {
    deps.log.info({ eventId: event.id, eventType: event.type }, "duplicate event ignored");
    return;
  }
  const current = await lockShipmentOfOrder(tx, event.data.orderId);
  const action = actionFor(event, current);
  const now = deps.clock();
  if (action.kind === "create") {
    const id = deps.newId();
    await insertPendingShipment(tx, { id, orderId: action.orderId, country: action.country, correlationId: event.correlationId, causationId: event.id, traceparent: msg.headers.traceparent ?? null, dispatchAfter: new Date(now.getTime() + deps.dispatchDelayMs) });
    deps.log.info({ eventId: event.id, orderId: action.orderId, shipmentId: id }, "shipment created, awaiting dispatch");
  } else if (action.kind === "cancel") {
    const r = cancel(action.shipment, action.reason);
    const emitted = await saveOutcome(tx, r.shipment, r.outcome, { id: deps.newId(), occurredAt: now.toISOString(), correlationId: event.correlationId, causationId: event.id, source: SERVICE, traceparent: msg.headers.traceparent });
    deps.log.info({ eventId: event.id, orderId: event.data.orderId, emitted: r.outcome.type, emittedId: emitted }, "shipment cancelled");
  } else {
    deps.log.debug({ eventId: event.id, eventType: event.type, why: action.why }, "nothing to do");
  }
}
