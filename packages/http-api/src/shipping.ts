// What the shipping service answers (apps/shipping/src/http/app.ts).
import { z } from "zod";

export const Shipment = z.object({
  id: z.string(),
  orderId: z.string(),
  status: z.enum(["PENDING", "DISPATCHED", "CANCELLED"]),
  country: z.string(),
  carrier: z.string().nullable().optional(),
  trackingNumber: z.string().nullable().optional(),
});
export type Shipment = z.infer<typeof Shipment>;

/** GET /shipments?orderId= */
export const ShipmentList = z.object({ shipments: z.array(Shipment) });
export type ShipmentList = z.infer<typeof ShipmentList>;
