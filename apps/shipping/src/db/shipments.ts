import { createEvent } from "@orderflow/contracts";
import { appendOutbox, outboxRowFor } from "@orderflow/db-kit";
import { Prisma } from "../generated/prisma/client.js";
import type { Tx } from "./client.js";
import type { Shipment, ShippingOutcome } from "../domain/shipment.js";

// The consumer's and the dispatcher's statements are plain parameterised SQL: Prisma's model
// queries cost several times the statements themselves on this hot path (pnpm bench).

/** a shipment row with what the dispatcher carries onto the events it emits */
export type ShipmentRow = Shipment & { correlationId: string; causationId: string; traceparent: string | null };

export const SHIPMENT_COLUMNS = Prisma.sql`id::text, order_id::text AS "orderId", status::text AS status, country, carrier, tracking_number AS "trackingNumber", correlation_id AS "correlationId", causation_id AS "causationId", traceparent`;

/** The shipments of these orders (by order id), row-locked (in id order) for the rest of the
 *  transaction so a cancel and the dispatcher never both act on one. */
export async function lockShipmentsOfOrders(tx: Tx, orderIds: string[]): Promise<Map<string, Shipment>> {
  const rows = await tx.$queryRaw<ShipmentRow[]>`SELECT ${SHIPMENT_COLUMNS} FROM shipments WHERE order_id = ANY(${orderIds}::uuid[]) ORDER BY id FOR UPDATE`;
  return new Map(rows.map((r) => [r.orderId, r]));
}

export type PendingShipment = { id: string; orderId: string; country: string; correlationId: string; causationId: string; traceparent: string | null; dispatchAfter: Date };

/** Pending shipments in one statement. */
export async function insertPendingShipments(tx: Tx, ss: PendingShipment[]): Promise<void> {
  if (ss.length === 0) return;
  await tx.$executeRaw`INSERT INTO shipments (id, order_id, status, country, correlation_id, causation_id, traceparent, dispatch_after, updated_at)
    SELECT id, order_id, 'PENDING', country, correlation_id, causation_id, traceparent, dispatch_after, now()
      FROM unnest(${ss.map((s) => s.id)}::uuid[], ${ss.map((s) => s.orderId)}::uuid[], ${ss.map((s) => s.country)}::text[], ${ss.map((s) => s.correlationId)}::text[], ${ss.map((s) => s.causationId)}::text[], ${ss.map((s) => s.traceparent)}::text[], ${ss.map((s) => s.dispatchAfter.toISOString())}::timestamptz[])
        AS t(id, order_id, country, correlation_id, causation_id, traceparent, dispatch_after)`;
}

export async function saveOutcome(
  tx: Tx,
  shipment: Shipment,
  outcome: ShippingOutcome,
  meta: { id: string; occurredAt: string; correlationId: string; causationId: string; source: string; traceparent?: string | undefined },
): Promise<string> {
  const cancelReason = outcome.type === "ShipmentCancelled" ? outcome.data.reason : null;
  await tx.$executeRaw`UPDATE shipments SET status = ${shipment.status}::"ShipmentStatus", carrier = ${shipment.carrier ?? null}, tracking_number = ${shipment.trackingNumber ?? null}, cancel_reason = COALESCE(${cancelReason}, cancel_reason), updated_at = now() WHERE id = ${shipment.id}::uuid`;
  const { traceparent, ...eventMeta } = meta;
  const event = createEvent(outcome.type, outcome.data as never, eventMeta);
  await appendOutbox(tx, [outboxRowFor(event, traceparent ? { traceparent } : undefined)]);
  return event.id;
}
