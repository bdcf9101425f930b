import { describe, expect, it } from "vitest";
import { OrderDomainError } from "./errors.js";
import { decide, fold, type OrderCommand, type OrderEvent } from "./order.js";
import { commandFor } from "./reactions.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const paymentId = "0193a5b0-0000-7000-8000-0000000000a1";
const shipmentId = "0193a5b0-0000-7000-8000-0000000000b1";
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const placed: OrderEvent = {
  type: "OrderPlaced",
  data: {
    orderId,
    customerId: "c-1",
    items: [
      { sku: "A", quantity: 2, unitPrice: 1250 },
      { sku: "B", quantity: 1, unitPrice: 500 },
    ],
    currency: "EUR",
    totalAmount: 3000,
    shippingAddress: address,
    shippingSpeed: "STANDARD",
  },
};
const paid: OrderEvent = {
  type: "OrderPaid",
  data: { orderId, paymentId, amount: 3000, currency: "EUR", shippingAddress: address },
};
const shipped: OrderEvent = {
  type: "OrderShipped",
  data: { orderId, shipmentId, carrier: "DHL", trackingNumber: "T1" },
};
const cancelledByCustomer: OrderEvent = { type: "OrderCancelled", data: { orderId, reason: "CUSTOMER_REQUESTED" } };

/** given events, when command, then events (or an error code) */
function given(events: OrderEvent[]) {
  return {
    when: (command: OrderCommand) => {
      const run = () => decide(command, fold(events));
      return {
        then: (expected: OrderEvent[]) => expect(run()).toEqual(expected),
        thenFails: (code: string) => {
          try {
            run();
          } catch (e) {
            expect(e).toBeInstanceOf(OrderDomainError);
            expect((e as OrderDomainError).code).toBe(code);
            return;
          }
          throw new Error(`expected ${code}`);
        },
      };
    },
  };
}

const cancel: OrderCommand = { type: "CancelOrder", orderId, reason: "CUSTOMER_REQUESTED" };
const authorize: OrderCommand = { type: "RecordPaymentAuthorized", orderId, paymentId, amount: 3000, currency: "EUR" };
const decline: OrderCommand = { type: "RecordPaymentDeclined", orderId, paymentId, reason: "total 3000 above limit" };
const dispatch: OrderCommand = {
  type: "RecordShipmentDispatched",
  orderId,
  shipmentId,
  carrier: "DHL",
  trackingNumber: "T1",
};

describe("Order decider", () => {
  it("places an order with the total computed from its items", () =>
    given([])
      .when({
        type: "PlaceOrder",
        orderId,
        customerId: "c-1",
        items: placed.data.items as never,
        currency: "EUR",
        shippingAddress: address,
        shippingSpeed: "STANDARD",
      })
      .then([placed]));

  it("refuses to place the same order twice", () =>
    given([placed])
      .when({
        type: "PlaceOrder",
        orderId,
        customerId: "c-1",
        items: [],
        currency: "EUR",
        shippingAddress: address,
        shippingSpeed: "STANDARD",
      })
      .thenFails("ORDER_ALREADY_EXISTS"));

  it("becomes PAID on an authorization", () => given([placed]).when(authorize).then([paid]));
  it("ignores a duplicate authorization", () => given([placed, paid]).when(authorize).then([]));
  it("is cancelled with the reason when payment is declined", () =>
    given([placed])
      .when(decline)
      .then([
        { type: "OrderCancelled", data: { orderId, reason: "PAYMENT_DECLINED", detail: "total 3000 above limit" } },
      ]));
  it("ships a paid order on dispatch", () => given([placed, paid]).when(dispatch).then([shipped]));
  it("does not ship an order that was not paid", () => given([placed]).when(dispatch).then([]));

  it("cancels a placed or paid order on request", () => {
    given([placed]).when(cancel).then([cancelledByCustomer]);
    given([placed, paid]).when(cancel).then([cancelledByCustomer]);
  });
  it("treats a second cancel as done", () => given([placed, cancelledByCustomer]).when(cancel).then([]));
  it("refuses to cancel a shipped order", () =>
    given([placed, paid, shipped]).when(cancel).thenFails("ORDER_ALREADY_SHIPPED"));
  it("keeps a cancelled order cancelled when a late authorization or dispatch arrives", () => {
    given([placed, cancelledByCustomer]).when(authorize).then([]);
    given([placed, paid, cancelledByCustomer]).when(dispatch).then([]);
  });
  it("knows no commands for an order that does not exist", () => given([]).when(cancel).thenFails("ORDER_NOT_FOUND"));
});

describe("fold", () => {
  it("rebuilds state and version from the stream", () => {
    const s = fold([placed, paid, shipped]);
    expect(s).toMatchObject({
      status: "SHIPPED",
      version: 3,
      totalAmount: 3000,
      payment: { paymentId },
      shipment: { carrier: "DHL", trackingNumber: "T1" },
    });
  });
});

describe("saga reactions", () => {
  const meta = {
    id: paymentId,
    version: 1 as const,
    occurredAt: new Date(0).toISOString(),
    aggregateId: orderId,
    correlationId: "c",
    causationId: null,
    source: "payment",
  };
  it("maps payment and shipping outcomes to order commands", () => {
    expect(
      commandFor({ ...meta, type: "PaymentAuthorized", data: { orderId, paymentId, amount: 3000, currency: "EUR" } }),
    ).toEqual(authorize);
    expect(
      commandFor({
        ...meta,
        type: "PaymentDeclined",
        data: { orderId, paymentId, amount: 3000, currency: "EUR", reason: "total 3000 above limit" },
      }),
    ).toEqual(decline);
    expect(
      commandFor({ ...meta, type: "PaymentRefunded", data: { orderId, paymentId, amount: 3000, currency: "EUR" } }),
    ).toBeUndefined();
  });
});
