import { z } from "zod";

/** Money is an integer amount of the currency's minor unit (cents), never a float. */
export const MinorUnits = z.number().int().nonnegative();
export const Currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as EUR");
export const OrderId = z.uuid();
export const Sku = z.string().min(1).max(64);

export const OrderItem = z.object({
  sku: Sku,
  quantity: z.number().int().positive().max(10_000),
  unitPrice: MinorUnits,
});
export type OrderItem = z.infer<typeof OrderItem>;

export const ShippingAddress = z.object({
  name: z.string().min(1).max(200),
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code such as DE"),
});
export type ShippingAddress = z.infer<typeof ShippingAddress>;
