// The data of every event type, per version. A new version is a new entry; old ones stay so
// older records can still be read.
import { z } from "zod";
import { Currency, MinorUnits, OrderId, OrderItem, ShippingAddress } from "./common.js";

export const OrderPlacedV1 = z.object({
  orderId: OrderId,
  customerId: z.string().min(1).max(100),
  items: z.array(OrderItem).min(1).max(100),
  currency: Currency,
  totalAmount: MinorUnits,
  shippingAddress: ShippingAddress,
});

export const ShippingSpeed = z.enum(["STANDARD", "EXPRESS"]);

/** v2: the customer chose a shipping speed. A v1 record reads as STANDARD (see upcasters). */
export const OrderPlacedV2 = OrderPlacedV1.extend({
  shippingSpeed: ShippingSpeed,
});

export const OrderPaidV1 = z.object({
  orderId: OrderId,
  paymentId: z.uuid(),
  amount: MinorUnits,
  currency: Currency,
  /** carried so shipping needs no call back to order (event-carried state transfer) */
  shippingAddress: ShippingAddress,
});

export const OrderShippedV1 = z.object({
  orderId: OrderId,
  shipmentId: z.uuid(),
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
});

export const CancellationReason = z.enum(["PAYMENT_DECLINED", "CUSTOMER_REQUESTED"]);

export const OrderCancelledV1 = z.object({
  orderId: OrderId,
  reason: CancellationReason,
  detail: z.string().max(500).optional(),
});

export const PaymentAuthorizedV1 = z.object({
  orderId: OrderId,
  paymentId: z.uuid(),
  amount: MinorUnits,
  currency: Currency,
});

export const PaymentDeclinedV1 = z.object({
  orderId: OrderId,
  paymentId: z.uuid(),
  amount: MinorUnits,
  currency: Currency,
  reason: z.string().min(1).max(500),
});

export const PaymentRefundedV1 = z.object({
  orderId: OrderId,
  paymentId: z.uuid(),
  amount: MinorUnits,
  currency: Currency,
});

export const ShipmentDispatchedV1 = z.object({
  orderId: OrderId,
  shipmentId: z.uuid(),
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
});

export const ShipmentCancelledV1 = z.object({
  orderId: OrderId,
  shipmentId: z.uuid(),
  reason: z.string().min(1).max(500),
});
