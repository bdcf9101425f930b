import { createEvent } from "@orderflow/contracts";
import { appendOutbox, outboxRowFor } from "@orderflow/db-kit";
import type { Tx } from "./client.js";
import type { Shipment, ShippingOutcome } from "../domain/shipment.js";

/** The order's shipment, row-locked for the rest of the transaction so a cancel and the
 *  dispatcher never both act on it. */
export async function lockShipmentOfOrder(tx: Tx, orderId: string): Promise<Shipment | undefined> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM shipments WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  if (rows.length === 0) return undefined;
  return (await tx.shipment.findUniqueOrThrow({ where: { id: rows[0]!.id } })) as Shipment;
}

export async function saveOutcome(
  tx: Tx,
  shipment: Shipment,
  outcome: ShippingOutcome,
  meta: { id: string; occurredAt: string; correlationId: string; causationId: string; source: string; traceparent?: string | undefined },
): Promise<string> {
  await tx.shipment.update({
    where: { id: shipment.id },
    data: { status: shipment.status, carrier: shipment.carrier ?? null, trackingNumber: shipment.trackingNumber ?? null, ...(outcome.type === "ShipmentCancelled" ? { cancelReason: outcome.data.reason } : {}) },
  });
  const { traceparent, ...eventMeta } = meta;
  const event = createEvent(outcome.type, outcome.data as never, eventMeta);
  await appendOutbox(tx, [outboxRowFor(event, traceparent ? { traceparent } : undefined)]);
  return event.id;
}
