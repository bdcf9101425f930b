import { createEvent } from "@orderflow/contracts";
import { outboxRowFor, writeWithOutbox } from "@orderflow/db-kit";
import type { Tx } from "./client.js";
import type { Shipment, ShippingOutcome } from "../domain/shipment.js";

// The consumer's and the dispatcher's statements: plain parameterised SQL on the service's pg
// pool (db-kit's createDatabase says why).

/** a shipment row with what the dispatcher carries onto the events it emits */
export type ShipmentRow = Shipment & { correlationId: string; causationId: string; traceparent: string | null };

export const SHIPMENT_COLUMNS = `id::text, order_id::text AS "orderId", status::text AS status, country, carrier, tracking_number AS "trackingNumber", correlation_id AS "correlationId", causation_id AS "causationId", traceparent`;

/** The read of these orders' shipments, row-locked (in id order) for the rest of the transaction
 *  so a cancel and the dispatcher never both act on one; its one placeholder is $`param`. */
export function lockShipmentsOfOrders(orderIds: string[], param: number): { sql: string; values: unknown[] } {
  return { sql: `SELECT ${SHIPMENT_COLUMNS} FROM shipments WHERE order_id = ANY($${param}::uuid[]) ORDER BY id FOR UPDATE`, values: [orderIds] };
}

export type PendingShipment = { id: string; orderId: string; country: string; correlationId: string; causationId: string; traceparent: string | null; dispatchAfter: Date };

/** Pending shipments in one statement. */
export async function insertPendingShipments(tx: Tx, ss: PendingShipment[]): Promise<void> {
  if (ss.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO shipments (id, order_id, status, country, correlation_id, causation_id, traceparent, dispatch_after, updated_at)
     SELECT id, order_id, 'PENDING', country, correlation_id, causation_id, traceparent, dispatch_after, now()
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS t(id, order_id, country, correlation_id, causation_id, traceparent, dispatch_after)`,
    ss.map((s) => s.id), ss.map((s) => s.orderId), ss.map((s) => s.country), ss.map((s) => s.correlationId), ss.map((s) => s.causationId), ss.map((s) => s.traceparent), ss.map((s) => s.dispatchAfter.toISOString()),
  );
}

export interface OutcomeToSave {
  shipment: Shipment;
  outcome: ShippingOutcome;
  meta: { id: string; occurredAt: string; correlationId: string; causationId: string; source: string; traceparent?: string | undefined };
}

/** The shipments' new states and the events they emit, in one statement however many
 *  (writeWithOutbox); the emitted event ids, in order. */
export async function saveOutcomes(tx: Tx, items: OutcomeToSave[]): Promise<string[]> {
  if (items.length === 0) return [];
  const events = items.map(({ outcome, meta: { traceparent, ...eventMeta } }) => ({ event: createEvent(outcome.type, outcome.data as never, eventMeta), traceparent }));
  await writeWithOutbox(
    tx,
    `changed AS (
       UPDATE shipments s SET status = u.status::"ShipmentStatus", carrier = u.carrier, tracking_number = u.tracking_number, cancel_reason = COALESCE(u.cancel_reason, s.cancel_reason), updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, status, carrier, tracking_number, cancel_reason)
        WHERE s.id = u.id)`,
    [
      items.map((i) => i.shipment.id),
      items.map((i) => i.shipment.status),
      items.map((i) => i.shipment.carrier ?? null),
      items.map((i) => i.shipment.trackingNumber ?? null),
      items.map((i) => (i.outcome.type === "ShipmentCancelled" ? i.outcome.data.reason : null)),
    ],
    events.map(({ event, traceparent }) => outboxRowFor(event, traceparent ? { traceparent } : undefined)),
  );
  return events.map((e) => e.event.id);
}
