// The payment service's SQL: the consumer's read and write of payments (plain parameterised SQL on
// the service's pg pool; db-kit's createDatabase says why) and the HTTP API's typed read.
import { sql, writeWithOutbox, type OutboxInsert, type Statement } from "@orderflow/db-kit";
import type { Payment } from "../domain/payment.js";
import type { Db, Tx } from "./client.js";

/** The payments of these orders. Amounts are BIGINT; every contract amount is a safe integer,
 *  which float8 (a JS number) holds exactly. */
export function paymentsOfOrders(orderIds: string[]): Statement {
  return sql`SELECT id::text AS id, order_id::text AS "orderId", amount::float8 AS amount, currency, status::text AS status, decline_reason AS "declineReason" FROM payments WHERE order_id = ANY(${orderIds}::uuid[])`;
}

/** New payments (in their final state), refunds of existing ones and the outbox rows of their
 *  events, in one statement. */
export async function writePayments(
  tx: Tx,
  created: Payment[],
  refunded: string[],
  outbox: OutboxInsert[],
): Promise<void> {
  const ps = created;
  await writeWithOutbox(
    tx,
    sql`created AS (
       INSERT INTO payments (id, order_id, amount, currency, status, decline_reason, updated_at)
       SELECT id, order_id, amount, currency, status::"PaymentStatus", decline_reason, now()
         FROM unnest(${ps.map((p) => p.id)}::uuid[], ${ps.map((p) => p.orderId)}::uuid[], ${ps.map((p) => p.amount)}::bigint[], ${ps.map((p) => p.currency)}::text[], ${ps.map((p) => p.status)}::text[], ${ps.map((p) => p.declineReason ?? null)}::text[]) AS t(id, order_id, amount, currency, status, decline_reason)
     ), refunded AS (
       UPDATE payments SET status = 'REFUNDED', updated_at = now() WHERE id = ANY(${refunded}::uuid[])
     )`,
    outbox,
  );
}

/** An order's payments, oldest first, for the HTTP API. */
export async function listPaymentsOfOrder(db: Db, orderId: string) {
  return db.prisma.payment.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
}
