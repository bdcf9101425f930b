import type { Db } from "../db/client.js";
import { listShipmentsOfOrder } from "../db/shipments.js";

export async function listShipments(db: Db, orderId: string) {
  return listShipmentsOfOrder(db, orderId);
}
