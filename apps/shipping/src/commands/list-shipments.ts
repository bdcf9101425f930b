import type { Db } from "../db/client.js";

export async function listShipments(db: Db, orderId: string) {
  return db.prisma.shipment.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
}
