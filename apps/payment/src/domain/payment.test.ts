import { createEvent } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import type { OrderTopicEvent, Payment } from "./payment.js";
import { actionFor, authorization, authorizationKey, refund, refundKey } from "./payment.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const paymentId = "0193a5b0-0000-7000-8000-0000000000a1";
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
// createEvent completes the envelope (the type's version, aggregateId); the decisions read only type and data
const eventId = "0193a5b0-0000-7000-8000-0000000000e1";
const epoch = new Date(0).toISOString();
const meta = { id: eventId, occurredAt: epoch, correlationId: "c", causationId: null, source: "order" };
const placed: OrderTopicEvent = createEvent(
  "OrderPlaced",
  {
    orderId,
    customerId: "c",
    items: [{ sku: "A", quantity: 2, unitPrice: 700 }],
    currency: "EUR",
    totalAmount: 1400,
    shippingAddress: address,
    shippingSpeed: "STANDARD",
  },
  meta,
);
const cancelled: OrderTopicEvent = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta);
const authorized: Payment = { id: paymentId, orderId, amount: 1400, currency: "EUR", status: "AUTHORIZED" };

describe("payment decisions", () => {
  it("authorizes the order total once", () => {
    expect(actionFor(placed, undefined)).toEqual({ kind: "authorize", orderId, amount: 1400, currency: "EUR" });
    expect(actionFor(placed, authorized).kind).toBe("none");
  });

  it("refunds only an authorized payment when the order is cancelled", () => {
    expect(actionFor(cancelled, authorized)).toEqual({ kind: "refund", payment: authorized });
    expect(actionFor(cancelled, { ...authorized, status: "DECLINED" }).kind).toBe("none");
    expect(actionFor(cancelled, { ...authorized, status: "REFUNDED" }).kind).toBe("none");
    expect(actionFor(cancelled, undefined).kind).toBe("none");
  });

  it("turns the gateway's answer into the payment and its event", () => {
    const a = { kind: "authorize" as const, orderId, amount: 1400, currency: "EUR" };
    expect(authorization(paymentId, a, { approved: true }).outcome).toEqual({
      type: "PaymentAuthorized",
      data: { paymentId, orderId, amount: 1400, currency: "EUR" },
    });
    const declined = authorization(paymentId, a, { approved: false, reason: "limit" });
    expect(declined.payment).toMatchObject({ status: "DECLINED", declineReason: "limit" });
    expect(declined.outcome).toEqual({
      type: "PaymentDeclined",
      data: { paymentId, orderId, amount: 1400, currency: "EUR", reason: "limit" },
    });
    expect(refund(authorized)).toEqual({
      payment: { ...authorized, status: "REFUNDED" },
      outcome: { type: "PaymentRefunded", data: { paymentId, orderId, amount: 1400, currency: "EUR" } },
    });
  });
});

describe("provider idempotency keys", () => {
  it("name one business operation: the same order or payment, the same key; authorize and refund differ", () => {
    expect(authorizationKey(orderId)).toBe(authorizationKey(orderId));
    expect(authorizationKey(orderId)).not.toBe(authorizationKey("0193a5b0-0000-7000-8000-0000000000ff"));
    expect(refundKey(paymentId)).not.toBe(authorizationKey(paymentId));
    expect(authorizationKey(orderId)).toMatch(/^[\x21-\x7e]{1,255}$/);
  });
});
