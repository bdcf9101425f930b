import type { Logger } from "pino";
import type { Db } from "../db/client.js";

export const SERVICE = "shipping";
export const SHIPPING_GROUP = "shipping";

export interface ShippingDeps {
  db: Db;
  clock: () => Date;
  newId: () => string;
  log: Logger;
  /** simulated warehouse handling time between a paid order and the carrier pickup */
  dispatchDelayMs: number;
  /** told, after their transaction committed, when the earliest new shipment falls due (the
   *  dispatcher then runs at that moment instead of at its next poll) */
  onShipmentsDue?: (at: Date) => void;
}
