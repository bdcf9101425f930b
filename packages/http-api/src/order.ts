// What the order service answers (apps/order/src/http/app.ts). Timestamps are ISO 8601 strings,
// as JSON carries them.
import { z } from "zod";

export const OrderStatus = z.enum(["PLACED", "PAID", "SHIPPED", "CANCELLED"]);
export type OrderStatus = z.infer<typeof OrderStatus>;

const Item = z.object({ sku: z.string(), quantity: z.number(), unitPrice: z.number() });
const ShippingSpeed = z.enum(["STANDARD", "EXPRESS"]);

/** one event of the order in the read model, at its record's place on its topic */
export const TimelineEntry = z.object({
  eventId: z.string(),
  type: z.string(),
  /** the service that published it: order | payment | shipping */
  source: z.string(),
  occurredAt: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/** the read model's document of one order, folded from all three topics */
export const OrderView = z.object({
  orderId: z.string(),
  /** null until OrderPlaced arrives (a payment event may come first) */
  status: OrderStatus.nullable(),
  customerId: z.string().nullable(),
  items: z.array(Item),
  currency: z.string().nullable(),
  totalAmount: z.number().nullable(),
  shippingSpeed: ShippingSpeed.nullable(),
  payment: z
    .object({
      paymentId: z.string(),
      status: z.enum(["AUTHORIZED", "DECLINED", "REFUNDED"]),
      amount: z.number(),
      currency: z.string(),
      refundedAmount: z.number(),
      declineReason: z.string().nullable(),
    })
    .nullable(),
  shipment: z
    .object({
      shipmentId: z.string(),
      status: z.enum(["DISPATCHED", "CANCELLED"]),
      carrier: z.string().nullable(),
      trackingNumber: z.string().nullable(),
      cancelReason: z.string().nullable(),
    })
    .nullable(),
  cancellation: z.object({ reason: z.string(), detail: z.string().nullable() }).nullable(),
  timeline: z.array(TimelineEntry),
  lastEventAt: z.string(),
});
export type OrderView = z.infer<typeof OrderView>;

/** the order as its own events fold it (the write side) */
export const OrderState = z.object({
  orderId: z.string(),
  status: OrderStatus,
  customerId: z.string(),
  items: z.array(Item),
  currency: z.string(),
  totalAmount: z.number(),
  shippingAddress: z.object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  }),
  shippingSpeed: ShippingSpeed,
  payment: z.object({ paymentId: z.string(), amount: z.number() }).optional(),
  shipment: z.object({ shipmentId: z.string(), carrier: z.string(), trackingNumber: z.string() }).optional(),
  cancellation: z.object({ reason: z.string(), detail: z.string().optional() }).optional(),
  /** events folded: the expected version of the next append */
  version: z.number().int(),
});
export type OrderState = z.infer<typeof OrderState>;

/** 202 to POST /orders (and its replay under the same Idempotency-Key) */
export const OrderAccepted = z.object({
  orderId: z.string(),
  status: OrderStatus,
  totalAmount: z.number(),
  currency: z.string(),
});
export type OrderAccepted = z.infer<typeof OrderAccepted>;

/** 202 to POST /orders/:id/cancel */
export const CancelAccepted = z.object({ orderId: z.string(), status: OrderStatus });
export type CancelAccepted = z.infer<typeof CancelAccepted>;

/** GET /orders/:id once the read model holds the order */
export const ProjectedOrder = OrderView.extend({
  readModel: z.object({
    source: z.literal("projection"),
    generation: z.number().int(),
    appliedAt: z.string(),
    lastEventAt: z.string(),
  }),
});
export type ProjectedOrder = z.infer<typeof ProjectedOrder>;

/** GET /orders/:id before the read model has seen the order: answered from its events */
export const UnprojectedOrder = OrderState.extend({
  readModel: z.object({ source: z.literal("event-store"), note: z.string() }),
});
export type UnprojectedOrder = z.infer<typeof UnprojectedOrder>;

/** GET /orders/:id */
export const OrderResponse = z.union([ProjectedOrder, UnprojectedOrder]);
export type OrderResponse = z.infer<typeof OrderResponse>;

/** GET /orders?customerId=&status=&limit=&cursor=: newest first */
export const OrderList = z.object({
  orders: z.array(OrderView),
  /** pass as `cursor` for the next page; null on the last */
  nextCursor: z.string().nullable(),
  readModel: z.object({ generation: z.number().int(), lastAppliedAt: z.string().nullable() }),
});
export type OrderList = z.infer<typeof OrderList>;

/** GET /orders/:id/events: the order's own stored events (contract envelopes, loose: the event
 *  contracts in @orderflow/contracts say what each `data` holds) */
export const OrderEvents = z.object({
  orderId: z.string(),
  events: z.array(
    z.looseObject({
      id: z.string(),
      type: z.string(),
      version: z.number().int(),
      occurredAt: z.string(),
      aggregateId: z.string(),
      correlationId: z.string(),
      causationId: z.string().nullable(),
      source: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
});
export type OrderEvents = z.infer<typeof OrderEvents>;

/** GET /orders/:id/rebuild: the order's events folded again beside what the read model holds */
export const Rebuilt = z.object({
  orderId: z.string(),
  /** absent when the order has no events */
  folded: OrderState.optional(),
  events: z.number().int(),
  /** absent when the read model has no document for it */
  view: OrderView.optional(),
  matches: z.boolean(),
  differences: z.array(z.string()),
});
export type Rebuilt = z.infer<typeof Rebuilt>;

/** GET /admin/projection */
export const ProjectionStatus = z.object({
  live: z.number().int(),
  generations: z.array(
    z.object({
      generation: z.number().int(),
      /** building | live | retired | failed */
      status: z.string(),
      createdAt: z.string(),
      switchedAt: z.string().nullable(),
      views: z.number().int(),
    }),
  ),
  lastAppliedAt: z.string().nullable(),
});
export type ProjectionStatus = z.infer<typeof ProjectionStatus>;

/** 202 to POST /admin/projection/replay: the generation being built */
export const ReplayStarted = z.object({ generation: z.number().int() });
export type ReplayStarted = z.infer<typeof ReplayStarted>;
