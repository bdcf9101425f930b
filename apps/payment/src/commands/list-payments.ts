import type { Db } from "../db/client.js";
import { listPaymentsOfOrder } from "../db/payments.js";

export async function listPayments(db: Db, orderId: string) {
  const payments = await listPaymentsOfOrder(db, orderId);
  // BIGINT in the table; every amount a contract allows is a safe integer, so a JSON number
  return payments.map((p) => ({ ...p, amount: Number(p.amount) }));
}
