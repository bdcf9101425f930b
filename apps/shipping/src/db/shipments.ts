// The shipping service's SQL: the consumer's and the dispatcher's statements (plain parameterised
// SQL on the service's pg pool; db-kit's createDatabase says why) and the HTTP API's typed read.
import { joinSql, query, raw, sql, writeWithOutbox, type OutboxInsert, type Statement } from "@orderflow/db-kit";
import type { Shipment } from "../domain/shipment.js";
import type { Db, Tx } from "./client.js";

/** a shipment row with what the dispatcher carries onto the events it emits */
export type ShipmentRow = Shipment & { correlationId: string; causationId: string; traceparent: string | null };

const SHIPMENT_COLUMNS = raw(
  `id::text, order_id::text AS "orderId", status::text AS status, country, carrier, tracking_number AS "trackingNumber", correlation_id AS "correlationId", causation_id AS "causationId", traceparent`,
);

/** The read of these orders' shipments, row-locked (in id order) for the rest of the transaction
 *  so a cancel and the dispatcher never both act on one. */
export function lockShipmentsOfOrders(orderIds: string[]): Statement {
  return sql`SELECT ${SHIPMENT_COLUMNS} FROM shipments WHERE order_id = ANY(${orderIds}::uuid[]) ORDER BY id FOR UPDATE`;
}

/** Up to `limit` PENDING shipments due by now, claimed for the rest of the transaction; those
 *  another replica or a cancel holds are skipped. */
export function claimDueShipments(tx: Tx, limit: number): PromiseLike<ShipmentRow[]> {
  return query<ShipmentRow>(
    tx,
    sql`SELECT ${SHIPMENT_COLUMNS} FROM shipments
       WHERE status = 'PENDING' AND dispatch_after <= now()
       ORDER BY dispatch_after
       LIMIT ${limit}
       FOR UPDATE SKIP LOCKED`,
  );
}

/** A shipment a run creates, in the state the run leaves it (a run may create and cancel one). */
export type NewShipment = Shipment & {
  correlationId: string;
  causationId: string;
  traceparent: string | null;
  dispatchAfter: Date;
  cancelReason: string | null;
};

/** An existing shipment's new state; `cancelReason` kept as it is when null. */
export interface ShipmentUpdate {
  shipment: Shipment;
  cancelReason: string | null;
}

/** New shipments, changes to existing ones and the outbox rows of their events, in one statement
 *  (nothing when there is nothing to write). */
export async function writeShipments(
  tx: Tx,
  created: NewShipment[],
  updated: ShipmentUpdate[],
  outbox: OutboxInsert[],
): Promise<void> {
  const changes: Statement[] = [];
  if (created.length > 0) changes.push(insertShipments(created));
  if (updated.length > 0) changes.push(updateShipments(updated));
  if (changes.length === 0 && outbox.length === 0) return;
  await writeWithOutbox(tx, joinSql(changes), outbox);
}

function insertShipments(ss: NewShipment[]): Statement {
  return sql`created AS (
    INSERT INTO shipments (id, order_id, status, country, correlation_id, causation_id, traceparent, dispatch_after, cancel_reason, updated_at)
     SELECT id, order_id, status::"ShipmentStatus", country, correlation_id, causation_id, traceparent, dispatch_after, cancel_reason, now()
       FROM unnest(${ss.map((s) => s.id)}::uuid[], ${ss.map((s) => s.orderId)}::uuid[], ${ss.map((s) => s.status)}::text[], ${ss.map((s) => s.country)}::text[], ${ss.map((s) => s.correlationId)}::text[], ${ss.map((s) => s.causationId)}::text[], ${ss.map((s) => s.traceparent)}::text[], ${ss.map((s) => s.dispatchAfter.toISOString())}::timestamptz[], ${ss.map((s) => s.cancelReason)}::text[])
         AS t(id, order_id, status, country, correlation_id, causation_id, traceparent, dispatch_after, cancel_reason))`;
}

function updateShipments(us: ShipmentUpdate[]): Statement {
  return sql`changed AS (
       UPDATE shipments s SET status = u.status::"ShipmentStatus", carrier = u.carrier, tracking_number = u.tracking_number, cancel_reason = COALESCE(u.cancel_reason, s.cancel_reason), updated_at = now()
         FROM unnest(${us.map((u) => u.shipment.id)}::uuid[], ${us.map((u) => u.shipment.status)}::text[], ${us.map((u) => u.shipment.carrier ?? null)}::text[], ${us.map((u) => u.shipment.trackingNumber ?? null)}::text[], ${us.map((u) => u.cancelReason)}::text[]) AS u(id, status, carrier, tracking_number, cancel_reason)
        WHERE s.id = u.id)`;
}

/** An order's shipments, oldest first, for the HTTP API. */
export async function listShipmentsOfOrder(db: Db, orderId: string) {
  return db.prisma.shipment.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
}
