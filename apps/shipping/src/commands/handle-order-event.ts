// Order events → at most one shipment change per event and the event it causes, applied as a run
// (db-kit's applyRun) in one transaction with the inbox record, so a redelivered event changes nothing.
import { applyRun, changedStates, type RunChanges, type RunSpec } from "@orderflow/db-kit";
import type { IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import type { Tx } from "../db/client.js";
import { lockShipmentsOfOrders, writeShipments, type NewShipment, type ShipmentRow } from "../db/shipments.js";
import { actionFor, cancel, type OrderTopicEvent, type Shipment } from "../domain/shipment.js";
import { SERVICE, SHIPPING_GROUP, type ShippingDeps } from "./deps.js";

/** An order's shipment as a run leaves it: `created` when the run made it (what its insert needs
 *  besides the shipment), `cancelReason` once the run cancelled it. */
interface ShipmentSlot {
  shipment: Shipment;
  created?: Omit<NewShipment, keyof Shipment | "cancelReason">;
  cancelReason?: string;
}

/** A run of order events in one transaction: all applied, or none (the consumer then retries
 *  them one by one). Set-based: the inbox record with a locking read of the run's shipments, then
 *  one write of the new and changed ones, as many statements as one event alone costs. Events for
 *  the same order apply in their order, each seeing the shipment as the one before it left it. */
export async function handleOrderEvents(
  deps: ShippingDeps,
  msgs: IncomingEvent[],
  logFor: (msg: IncomingEvent) => Logger = () => deps.log,
): Promise<void> {
  const changes = await applyRun(
    deps.db,
    shippingRun(deps),
    { source: SERVICE, clock: deps.clock, newId: deps.newId },
    msgs,
    logFor,
  );
  const due = changes ? changedStates(changes).created.map((s) => s.created!.dispatchAfter.getTime()) : [];
  if (due.length > 0) deps.onShipmentsDue?.(new Date(Math.min(...due)));
}

/** The shipping side of a run: the pure step per record, and the SQL that reads and writes the
 *  run's shipments. */
function shippingRun(deps: Pick<ShippingDeps, "dispatchDelayMs">): RunSpec<IncomingEvent, ShipmentRow, ShipmentSlot> {
  return {
    group: SHIPPING_GROUP,
    read: lockShipmentsOfOrders,
    load: (rows) => new Map(rows.map((r) => [r.orderId, { shipment: r }])),
    step: (slot, msg, ctx) => {
      const event = msg.event as OrderTopicEvent;
      const action = actionFor(event, slot?.shipment);
      if (action.kind === "create") {
        const id = ctx.newId();
        const created = {
          correlationId: event.correlationId,
          causationId: event.id,
          traceparent: msg.headers.traceparent ?? null,
          dispatchAfter: new Date(ctx.now.getTime() + deps.dispatchDelayMs),
        };
        const shipment: Shipment = { id, orderId: action.orderId, status: "PENDING", country: action.country };
        return {
          state: { shipment, created },
          note: { msg: "shipment created, awaiting dispatch", fields: { orderId: action.orderId, shipmentId: id } },
        };
      }
      if (action.kind === "cancel") {
        const r = cancel(action.shipment, action.reason);
        const emitted = ctx.envelope(r.outcome);
        const state = { ...slot, shipment: r.shipment, cancelReason: action.reason };
        return {
          state,
          emitted: [emitted],
          note: {
            msg: "shipment cancelled",
            fields: { orderId: event.data.orderId, emitted: emitted.type, emittedId: emitted.id },
          },
        };
      }
      return { state: slot, note: { level: "debug", msg: "nothing to do", fields: { why: action.why } } };
    },
    write: (tx, changes) => writeRun(tx, changes),
  };
}

function writeRun(tx: Tx, changes: RunChanges<ShipmentSlot>): Promise<void> {
  const { created, changed } = changedStates(changes);
  return writeShipments(
    tx,
    created.map((s) => ({ ...s.shipment, ...s.created!, cancelReason: s.cancelReason ?? null })),
    changed.map(({ after }) => ({ shipment: after.shipment, cancelReason: after.cancelReason ?? null })),
    changes.outbox,
  );
}
