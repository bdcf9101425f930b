import type { Db } from "../db/client.js";

export async function listPayments(db: Db, orderId: string) {
  return db.prisma.payment.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
}
