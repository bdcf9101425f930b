// One order event → at most one shipment change and the event it causes, in one transaction with
// the inbox record, so a redelivered event changes nothing.
import { recordInboxRunAndRead } from "@orderflow/db-kit";
import type { IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import type { Tx } from "../db/client.js";
import { insertPendingShipments, lockShipmentsOfOrders, saveOutcomes, type PendingShipment, type ShipmentRow } from "../db/shipments.js";
import { actionFor, cancel, type OrderTopicEvent, type Shipment, type ShippingOutcome } from "../domain/shipment.js";
import { SERVICE, SHIPPING_GROUP, type ShippingDeps } from "./deps.js";

export async function handleOrderEvent(deps: ShippingDeps, msg: IncomingEvent): Promise<void> {
  await handleOrderEvents(deps, [msg]);
}

/** A run of order events in one transaction: all applied, or none (the consumer then retries
 *  them one by one). Set-based: the inbox record with a locking read of the run's shipments, then
 *  one insert of the new ones, as many as one event alone costs. Events for the same order apply
 *  in their order, each seeing the shipment as the one before it left it. */
export async function handleOrderEvents(deps: ShippingDeps, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger = () => deps.log): Promise<void> {
  const created = await deps.db.$transaction((tx) => applyOrderEvents(deps, tx, msgs, logFor));
  if (created.length > 0) deps.onShipmentsDue?.(new Date(Math.min(...created.map((s) => s.dispatchAfter.getTime()))));
}

/** the shipments it created */
async function applyOrderEvents(deps: ShippingDeps, tx: Tx, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger): Promise<PendingShipment[]> {
  // the inbox record and the run's shipments, row-locked, in one round trip
  const { fresh, rows } = await recordInboxRunAndRead<IncomingEvent, ShipmentRow>(tx, SHIPPING_GROUP, msgs, (m) => logFor(m).info("duplicate event ignored"), lockShipmentsOfOrders([...new Set(msgs.map((m) => (m.event as OrderTopicEvent).data.orderId))], 3));
  if (fresh.length === 0) return [];
  const current = new Map<string, Shipment>(rows.map((r) => [r.orderId, r]));
  const created: PendingShipment[] = [];
  const cancelled: { shipment: Shipment; outcome: ShippingOutcome; event: OrderTopicEvent; msg: IncomingEvent }[] = [];
  const now = deps.clock();
  for (const msg of fresh) {
    const event = msg.event as OrderTopicEvent;
    const log = logFor(msg);
    const action = actionFor(event, current.get(event.data.orderId));
    if (action.kind === "create") {
      const id = deps.newId();
      created.push({ id, orderId: action.orderId, country: action.country, correlationId: event.correlationId, causationId: event.id, traceparent: msg.headers.traceparent ?? null, dispatchAfter: new Date(now.getTime() + deps.dispatchDelayMs) });
      current.set(action.orderId, { id, orderId: action.orderId, status: "PENDING", country: action.country });
      log.info({ orderId: action.orderId, shipmentId: id }, "shipment created, awaiting dispatch");
    } else if (action.kind === "cancel") {
      const r = cancel(action.shipment, action.reason);
      current.set(event.data.orderId, r.shipment);
      cancelled.push({ ...r, event, msg });
    } else {
      log.debug({ why: action.why }, "nothing to do");
    }
  }
  await insertPendingShipments(tx, created);
  // after the inserts: a shipment may be created and cancelled in one run
  const emitted = await saveOutcomes(tx, cancelled.map((c) => ({ shipment: c.shipment, outcome: c.outcome, meta: { id: deps.newId(), occurredAt: now.toISOString(), correlationId: c.event.correlationId, causationId: c.event.id, source: SERVICE, traceparent: c.msg.headers.traceparent } })));
  cancelled.forEach((c, i) => logFor(c.msg).info({ orderId: c.event.data.orderId, emitted: c.outcome.type, emittedId: emitted[i] }, "shipment cancelled"));
  return created;
}
