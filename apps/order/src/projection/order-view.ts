// The read model of an order: a pure fold over events from all three topics. Records of one
// order arrive in order per topic but interleave across topics in any way, so every section is
// derived from its own topic's events and the timeline is sorted by time: a replay gives the
// same view whatever the interleaving.
import type { OrderflowEvent } from "@orderflow/contracts";

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

interface TimelineEntry extends RecordPosition {
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  correlationId: string;
  causationId: string | null;
}

export interface OrderView {
  orderId: string;
  /** unknown until OrderPlaced arrives (a payment event may come first) */
  status: "PLACED" | "PAID" | "SHIPPED" | "CANCELLED" | null;
  customerId: string | null;
  items: { sku: string; quantity: number; unitPrice: number }[];
  currency: string | null;
  totalAmount: number | null;
  shippingSpeed: "STANDARD" | "EXPRESS" | null;
  payment: {
    paymentId: string;
    status: "AUTHORIZED" | "DECLINED" | "REFUNDED";
    amount: number;
    currency: string;
    refundedAmount: number;
    declineReason: string | null;
  } | null;
  shipment: {
    shipmentId: string;
    status: "DISPATCHED" | "CANCELLED";
    carrier: string | null;
    trackingNumber: string | null;
    cancelReason: string | null;
  } | null;
  cancellation: { reason: string; detail: string | null } | null;
  timeline: TimelineEntry[];
  lastEventAt: string;
}

export function emptyView(orderId: string, at: string): OrderView {
  return {
    orderId,
    status: null,
    customerId: null,
    items: [],
    currency: null,
    totalAmount: null,
    shippingSpeed: null,
    payment: null,
    shipment: null,
    cancellation: null,
    timeline: [],
    lastEventAt: at,
  };
}

const ORDER_STATUS = {
  OrderPlaced: "PLACED",
  OrderPaid: "PAID",
  OrderShipped: "SHIPPED",
  OrderCancelled: "CANCELLED",
} as const;

type EventOf<T extends OrderflowEvent["type"]> = Extract<OrderflowEvent, { type: T }>;

/** The view after `event`; the same event twice (a relay duplicate) changes nothing. */
export function project(current: OrderView | undefined, event: OrderflowEvent, at: RecordPosition): OrderView {
  const orderId = event.data.orderId;
  const v = current ?? emptyView(orderId, event.occurredAt);
  if (v.timeline.some((t) => t.eventId === event.id)) return v;
  const next = withTimelineEntry(v, event, at);
  switch (event.type) {
    case "OrderPlaced":
    case "OrderPaid":
    case "OrderShipped":
    case "OrderCancelled":
      return projectOrderEvent(next, event);
    case "PaymentAuthorized":
    case "PaymentDeclined":
    case "PaymentRefunded":
      return projectPaymentEvent(next, event);
    case "ShipmentDispatched":
    case "ShipmentCancelled":
      return projectShipmentEvent(next, event);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** The view with `event` in its timeline, which stays sorted by time whatever the arrival order. */
function withTimelineEntry(v: OrderView, event: OrderflowEvent, at: RecordPosition): OrderView {
  const entry: TimelineEntry = {
    eventId: event.id,
    type: event.type,
    source: event.source,
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
    causationId: event.causationId,
    ...at,
  };
  const timeline = [...v.timeline, entry].sort(
    (a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.eventId.localeCompare(b.eventId),
  );
  return { ...v, timeline, lastEventAt: timeline.at(-1)!.occurredAt };
}

function projectOrderEvent(
  next: OrderView,
  event: EventOf<"OrderPlaced" | "OrderPaid" | "OrderShipped" | "OrderCancelled">,
): OrderView {
  switch (event.type) {
    case "OrderPlaced": {
      const d = event.data;
      return {
        ...next,
        status: next.status ?? "PLACED",
        customerId: d.customerId,
        items: d.items,
        currency: d.currency,
        totalAmount: d.totalAmount,
        shippingSpeed: d.shippingSpeed,
      };
    }
    case "OrderPaid":
    case "OrderShipped":
      return { ...next, status: ORDER_STATUS[event.type] };
    case "OrderCancelled":
      return {
        ...next,
        status: "CANCELLED",
        cancellation: { reason: event.data.reason, detail: event.data.detail ?? null },
      };
  }
}

function projectPaymentEvent(
  next: OrderView,
  event: EventOf<"PaymentAuthorized" | "PaymentDeclined" | "PaymentRefunded">,
): OrderView {
  switch (event.type) {
    case "PaymentAuthorized":
    case "PaymentDeclined": {
      const d = event.data;
      if (next.payment?.status === "REFUNDED") return next; // refunds come after, in the same topic
      return {
        ...next,
        payment: {
          paymentId: d.paymentId,
          status: event.type === "PaymentAuthorized" ? "AUTHORIZED" : "DECLINED",
          amount: d.amount,
          currency: d.currency,
          refundedAmount: 0,
          declineReason: event.type === "PaymentDeclined" ? event.data.reason : null,
        },
      };
    }
    case "PaymentRefunded": {
      const d = event.data;
      return {
        ...next,
        payment: {
          paymentId: d.paymentId,
          amount: d.amount,
          currency: d.currency,
          declineReason: null,
          ...(next.payment ?? {}),
          status: "REFUNDED",
          refundedAmount: d.amount,
        },
      };
    }
  }
}

function projectShipmentEvent(next: OrderView, event: EventOf<"ShipmentDispatched" | "ShipmentCancelled">): OrderView {
  switch (event.type) {
    case "ShipmentDispatched":
      return {
        ...next,
        shipment: {
          shipmentId: event.data.shipmentId,
          status: "DISPATCHED",
          carrier: event.data.carrier,
          trackingNumber: event.data.trackingNumber,
          cancelReason: null,
        },
      };
    case "ShipmentCancelled":
      return {
        ...next,
        shipment: {
          shipmentId: event.data.shipmentId,
          status: "CANCELLED",
          carrier: next.shipment?.carrier ?? null,
          trackingNumber: next.shipment?.trackingNumber ?? null,
          cancelReason: event.data.reason,
        },
      };
  }
}
