import { Currency, OrderItem, ShippingAddress, ShippingSpeed } from "@orderflow/contracts";
import { z } from "zod";

export const PlaceOrderBody = z.strictObject({
  customerId: z.string().min(1).max(100),
  items: z.array(OrderItem).min(1, "an order needs at least one item").max(100),
  currency: Currency,
  shippingAddress: ShippingAddress,
  shippingSpeed: ShippingSpeed.default("STANDARD"),
});

export const CancelOrderBody = z.strictObject({ detail: z.string().max(500).optional() }).default({});

export const OrderIdParam = z.uuid({ error: "must be an order id (uuid)" });

export const ListOrdersQuery = z.object({
  customerId: z.string().min(1).max(100).optional(),
  status: z.enum(["PLACED", "PAID", "SHIPPED", "CANCELLED"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a nextCursor from a previous page").optional(),
});
