import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { project, type OrderView } from "./order-view.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const paymentId = "0193a5b0-0000-7000-8000-0000000000a1";
const shipmentId = "0193a5b0-0000-7000-8000-0000000000b1";
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
let n = 0;
const meta = (source: string) => ({
  id: `0193a5b0-0000-7000-8000-${String(++n).padStart(12, "0")}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  correlationId: "c",
  causationId: null,
  source,
});

const placed = createEvent(
  "OrderPlaced",
  {
    orderId,
    customerId: "c-1",
    items: [{ sku: "A", quantity: 2, unitPrice: 500 }],
    currency: "EUR",
    totalAmount: 1000,
    shippingAddress: address,
    shippingSpeed: "STANDARD",
  },
  meta("order"),
);
const authorized = createEvent(
  "PaymentAuthorized",
  { orderId, paymentId, amount: 1000, currency: "EUR" },
  meta("payment"),
);
const paid = createEvent(
  "OrderPaid",
  { orderId, paymentId, amount: 1000, currency: "EUR", shippingAddress: address },
  meta("order"),
);
const cancelled = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta("order"));
const refunded = createEvent("PaymentRefunded", { orderId, paymentId, amount: 1000, currency: "EUR" }, meta("payment"));
const shipCancelled = createEvent(
  "ShipmentCancelled",
  { orderId, shipmentId, reason: "order cancelled" },
  meta("shipping"),
);

const topicOf = (e: OrderflowEvent) =>
  e.source === "order" ? "order-events" : e.source === "payment" ? "payment-events" : "shipping-events";
const fold = (events: OrderflowEvent[]) =>
  events.reduce<OrderView | undefined>(
    (v, e, i) => project(v, e, { topic: topicOf(e), partition: 0, offset: String(i) }),
    undefined,
  )!;
const strip = (v: OrderView) => ({ ...v, timeline: v.timeline.map(({ offset: _o, ...t }) => t) });

describe("the order view", () => {
  it("denormalises an order's events from all three topics, with a timeline", () => {
    const v = fold([placed, authorized, paid, cancelled, refunded, shipCancelled]);
    expect(v).toMatchObject({
      status: "CANCELLED",
      customerId: "c-1",
      totalAmount: 1000,
      payment: { paymentId, status: "REFUNDED", refundedAmount: 1000 },
      shipment: { shipmentId, status: "CANCELLED", cancelReason: "order cancelled" },
      cancellation: { reason: "CUSTOMER_REQUESTED", detail: null },
    });
    expect(v.timeline.map((t) => [t.type, t.source])).toEqual([
      ["OrderPlaced", "order"],
      ["PaymentAuthorized", "payment"],
      ["OrderPaid", "order"],
      ["OrderCancelled", "order"],
      ["PaymentRefunded", "payment"],
      ["ShipmentCancelled", "shipping"],
    ]);
  });

  it("is the same whatever the interleaving across topics", () => {
    const a = fold([placed, authorized, paid, cancelled, refunded, shipCancelled]);
    const b = fold([authorized, refunded, shipCancelled, placed, paid, cancelled]);
    const c = fold([shipCancelled, placed, authorized, paid, refunded, cancelled]);
    expect(strip(b)).toEqual(strip(a));
    expect(strip(c)).toEqual(strip(a));
  });

  it("ignores an event it has already applied (a relay duplicate at another offset)", () => {
    const once = fold([placed, authorized]);
    expect(project(once, authorized, { topic: "payment-events", partition: 0, offset: "99" })).toBe(once);
  });
});
