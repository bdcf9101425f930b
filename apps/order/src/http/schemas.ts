import {
  Currency,
  MoneyOutOfRange,
  OrderItem,
  ShippingAddress,
  ShippingSpeed,
  totalOfItems,
} from "@orderflow/contracts";
import { z } from "zod";

// the event schemas tolerate unknown fields (a newer producer may add some); a request with a
// field this API does not know is a client mistake, so the request shapes are strict throughout
export const PlaceOrderBody = z.strictObject({
  customerId: z.string().min(1).max(100),
  items: z
    .array(z.strictObject(OrderItem.shape))
    .min(1, "an order needs at least one item")
    .max(100)
    .superRefine((items, ctx) => {
      // the total must be an exact amount, or the OrderPlaced it becomes would break MinorUnits
      try {
        totalOfItems(items);
      } catch (e) {
        if (!(e instanceof MoneyOutOfRange)) throw e;
        ctx.addIssue({
          code: "custom",
          message: `the order's total (quantity × unitPrice, summed) is beyond ${Number.MAX_SAFE_INTEGER} minor units`,
        });
      }
    }),
  currency: Currency,
  shippingAddress: z.strictObject(ShippingAddress.shape),
  shippingSpeed: ShippingSpeed.default("STANDARD"),
});

export const CancelOrderBody = z.strictObject({ detail: z.string().max(500).optional() }).default({});

export const OrderIdParam = z.uuid({ error: "must be an order id (uuid)" });

export const ListOrdersQuery = z.object({
  customerId: z.string().min(1).max(100).optional(),
  status: z.enum(["PLACED", "PAID", "SHIPPED", "CANCELLED"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "must be a nextCursor from a previous page")
    .optional(),
});
