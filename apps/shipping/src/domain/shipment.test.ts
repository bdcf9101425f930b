import { createEvent } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { actionFor, cancel, dispatch, type OrderTopicEvent, type Shipment } from "./shipment.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
// createEvent completes the envelope (the type's version, aggregateId); the decisions read only type and data
const eventId = "0193a5b0-0000-7000-8000-0000000000e1";
const epoch = new Date(0).toISOString();
const meta = { id: eventId, occurredAt: epoch, correlationId: "c", causationId: null, source: "order" };
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const paid: OrderTopicEvent = createEvent(
  "OrderPaid",
  { orderId, paymentId: eventId, amount: 1, currency: "EUR", shippingAddress: address },
  meta,
);
const cancelled: OrderTopicEvent = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta);
const pending: Shipment = { id: "0193a5b0-0000-7000-8000-00000000abcd", orderId, status: "PENDING", country: "DE" };

describe("shipping decisions", () => {
  it("creates one shipment for a paid order, to the order's country", () => {
    expect(actionFor(paid, undefined)).toEqual({ kind: "create", orderId, country: "DE" });
    expect(actionFor(paid, pending).kind).toBe("none");
  });

  it("cancels a pending shipment when the order is cancelled, but not a dispatched one", () => {
    expect(actionFor(cancelled, pending)).toMatchObject({
      kind: "cancel",
      reason: "order cancelled: CUSTOMER_REQUESTED",
    });
    expect(actionFor(cancelled, { ...pending, status: "DISPATCHED" }).kind).toBe("none");
    expect(actionFor(cancelled, undefined).kind).toBe("none");
  });

  it("dispatches with a deterministic carrier and tracking number", () => {
    const r = dispatch(pending);
    expect(r.shipment.status).toBe("DISPATCHED");
    expect(r.outcome).toEqual({
      type: "ShipmentDispatched",
      data: { orderId, shipmentId: pending.id, carrier: "DHL", trackingNumber: "DHL00000000ABCD" },
    });
    expect(() => dispatch(r.shipment)).toThrow(/not PENDING/);
  });

  it("cancel emits ShipmentCancelled with the reason", () => {
    expect(cancel(pending, "order cancelled").outcome).toEqual({
      type: "ShipmentCancelled",
      data: { orderId, shipmentId: pending.id, reason: "order cancelled" },
    });
  });
});
