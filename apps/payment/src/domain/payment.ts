// What the payment service does for each order event. Pure: the gateway's answer and new ids
// come in as data.
import type { EventData, EventOnTopic } from "@orderflow/contracts";

type PaymentStatus = "AUTHORIZED" | "DECLINED" | "REFUNDED";

export interface Payment {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  declineReason?: string | null;
}

export type GatewayDecision = { approved: true } | { approved: false; reason: string };

export type PaymentAction =
  | { kind: "authorize"; orderId: string; amount: number; currency: string }
  | { kind: "refund"; payment: Payment }
  | { kind: "none"; why: string };

export type OrderTopicEvent = EventOnTopic<"order-events">;

/** The provider's idempotency key for authorizing an order's payment: one business operation,
 *  one key, whichever delivery, replica or redrive asks. */
export function authorizationKey(orderId: string): string {
  return `orderflow-payment:authorize:${orderId}`;
}

/** The provider's idempotency key for refunding a payment. */
export function refundKey(paymentId: string): string {
  return `orderflow-payment:refund:${paymentId}`;
}

export function actionFor(event: OrderTopicEvent, current: Payment | undefined): PaymentAction {
  switch (event.type) {
    case "OrderPlaced":
      if (current) return { kind: "none", why: `order already has payment ${current.id} (${current.status})` };
      return {
        kind: "authorize",
        orderId: event.data.orderId,
        amount: event.data.totalAmount,
        currency: event.data.currency,
      };
    case "OrderCancelled":
      // compensation: whatever the order knew, money we hold for a cancelled order goes back
      if (current?.status === "AUTHORIZED") return { kind: "refund", payment: current };
      return {
        kind: "none",
        why: current ? `payment is ${current.status}, nothing to refund` : "no payment for this order",
      };
    case "OrderPaid":
    case "OrderShipped":
      return { kind: "none", why: `${event.type} needs nothing from payment` };
    default:
      return event satisfies never;
  }
}

export type PaymentOutcome =
  | { type: "PaymentAuthorized"; data: EventData<"PaymentAuthorized"> }
  | { type: "PaymentDeclined"; data: EventData<"PaymentDeclined"> }
  | { type: "PaymentRefunded"; data: EventData<"PaymentRefunded"> };

export function authorization(
  paymentId: string,
  a: Extract<PaymentAction, { kind: "authorize" }>,
  decision: GatewayDecision,
): { payment: Payment; outcome: PaymentOutcome } {
  const base = { paymentId, orderId: a.orderId, amount: a.amount, currency: a.currency };
  if (decision.approved) {
    return {
      payment: { id: paymentId, orderId: a.orderId, amount: a.amount, currency: a.currency, status: "AUTHORIZED" },
      outcome: { type: "PaymentAuthorized", data: base },
    };
  }
  return {
    payment: {
      id: paymentId,
      orderId: a.orderId,
      amount: a.amount,
      currency: a.currency,
      status: "DECLINED",
      declineReason: decision.reason,
    },
    outcome: { type: "PaymentDeclined", data: { ...base, reason: decision.reason } },
  };
}

export function refund(payment: Payment): { payment: Payment; outcome: PaymentOutcome } {
  return {
    payment: { ...payment, status: "REFUNDED" },
    outcome: {
      type: "PaymentRefunded",
      data: { paymentId: payment.id, orderId: payment.orderId, amount: payment.amount, currency: payment.currency },
    },
  };
}
