import { Currency, OrderItem, ShippingAddress } from "@orderflow/contracts";
import { z } from "zod";

export const PlaceOrderBody = z.strictObject({
  customerId: z.string().min(1).max(100),
  items: z.array(OrderItem).min(1, "an order needs at least one item").max(100),
  currency: Currency,
  shippingAddress: ShippingAddress,
});

export const CancelOrderBody = z.strictObject({ detail: z.string().max(500).optional() }).default({});

export const OrderIdParam = z.uuid({ error: "must be an order id (uuid)" });
