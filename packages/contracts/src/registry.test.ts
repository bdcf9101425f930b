import { describe, expect, it } from "vitest";
import { lineAmount, MoneyOutOfRange, sumMinorUnits, totalOfItems } from "./money.js";
import {
  ContractViolation,
  contractIssues,
  createEvent,
  decodeEvent,
  EVENT_DEFINITIONS,
  eventTypesOn,
  keyOf,
  parseEvent,
  topicOf,
} from "./registry.js";
import { deadLetterTopics, TOPICS } from "./topics.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const meta = {
  id: "0193a5b0-0000-7000-8000-0000000000e1",
  occurredAt: "2026-01-01T00:00:00.000Z",
  correlationId: "c",
  causationId: null,
  source: "order",
};
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const placed = createEvent(
  "OrderPlaced",
  {
    orderId,
    customerId: "c-1",
    items: [{ sku: "A", quantity: 1, unitPrice: 100 }],
    currency: "EUR",
    totalAmount: 100,
    shippingAddress: address,
    shippingSpeed: "EXPRESS",
  },
  meta,
);

describe("the contract registry", () => {
  it("puts every event type on a registered topic keyed by order id", () => {
    for (const d of EVENT_DEFINITIONS) expect(Object.keys(TOPICS)).toContain(d.topic);
    expect(eventTypesOn("order-events")).toEqual(["OrderPlaced", "OrderPaid", "OrderShipped", "OrderCancelled"]);
    expect(topicOf("ShipmentCancelled")).toBe("shipping-events");
    expect(keyOf(placed)).toBe(orderId);
    expect(placed).toMatchObject({ type: "OrderPlaced", version: 2, aggregateId: orderId });
  });

  it("has a dead-letter topic per subscribed topic and group", () => {
    expect(deadLetterTopics().map((d) => d.name)).toEqual([
      "payment-events.order.dlt",
      "shipping-events.order.dlt",
      "order-events.order-projection.dlt",
      "payment-events.order-projection.dlt",
      "shipping-events.order-projection.dlt",
      "order-events.payment.dlt",
      "order-events.shipping.dlt",
    ]);
  });
});

describe("decodeEvent", () => {
  it("decodes a valid event from its bytes", () => {
    const r = decodeEvent(Buffer.from(JSON.stringify(placed)), "order-events");
    expect(r).toEqual({ ok: true, event: placed });
  });
  it("says why a record is unusable", () => {
    expect(decodeEvent(null)).toMatchObject({ ok: false, reason: "undecodable" });
    expect(decodeEvent("{oops")).toMatchObject({
      ok: false,
      reason: "undecodable",
      message: expect.stringMatching(/not JSON/),
    });
    expect(parseEvent({ ...placed, type: "OrderTeleported" })).toMatchObject({ ok: false, reason: "unknown-type" });
    expect(parseEvent(placed, "payment-events")).toMatchObject({
      ok: false,
      reason: "invalid",
      message: expect.stringMatching(/belongs on order-events/),
    });
    const bad = parseEvent({ ...placed, data: { ...placed.data, currency: "euro" } });
    expect(bad).toMatchObject({ ok: false, reason: "invalid" });
    expect(!bad.ok && bad.message).toMatch(/data\.currency/);
  });
});

describe("versions", () => {
  it("reads an OrderPlaced v1 as v2 with the default shipping speed", () => {
    const { shippingSpeed: _s, ...v1data } = placed.data;
    const v1 = { ...placed, version: 1, data: v1data };
    const r = decodeEvent(JSON.stringify(v1), "order-events");
    expect(r).toEqual({ ok: true, event: { ...placed, data: { ...placed.data, shippingSpeed: "STANDARD" } } });
  });
  it("still refuses a v2 without the field v2 requires", () => {
    const { shippingSpeed: _s, ...data } = placed.data;
    expect(parseEvent({ ...placed, data })).toMatchObject({
      ok: false,
      reason: "invalid",
      message: expect.stringMatching(/shippingSpeed/),
    });
  });
});

describe("createEvent enforces the contract on the producing side", () => {
  const data = {
    orderId,
    customerId: "c-1",
    items: [{ sku: "A", quantity: 10_000, unitPrice: 100 }],
    currency: "EUR",
    totalAmount: 1_000_000,
    shippingAddress: address,
    shippingSpeed: "STANDARD" as const,
  };

  it("refuses an amount beyond the safe integer range, naming the field", () => {
    const make = () => createEvent("OrderPlaced", { ...data, totalAmount: 90071992547409900000 }, meta);
    expect(make).toThrow(ContractViolation);
    expect(() => make()).toThrow(/data\.totalAmount/);
    try {
      make();
    } catch (e) {
      expect((e as ContractViolation).issues).toEqual([expect.objectContaining({ field: "data.totalAmount" })]);
      expect((e as ContractViolation).retriable).toBe(false);
    }
  });

  it("refuses text PostgreSQL cannot store: NUL and lone surrogates, wherever they are", () => {
    const issues = (name: string) => {
      try {
        createEvent("OrderPlaced", { ...data, shippingAddress: { ...address, name } }, meta);
        return [];
      } catch (e) {
        return (e as ContractViolation).issues;
      }
    };
    expect(issues("Ada \ud800")).toEqual([
      { field: "data.shippingAddress.name", message: expect.stringMatching(/lone UTF-16 surrogate/) },
    ]);
    expect(issues("Ada\u0000")).toEqual([
      { field: "data.shippingAddress.name", message: expect.stringMatching(/NUL/) },
    ]);
    expect(issues("Ada 😀")).toEqual([]);
    expect(contractIssues({ ...placed, correlationId: "\udc00x" })).toEqual([
      { field: "correlationId", message: expect.stringMatching(/surrogate/) },
    ]);
  });

  it("refuses data of the wrong shape and an invalid envelope", () => {
    expect(() =>
      createEvent(
        "PaymentDeclined",
        { orderId, paymentId: orderId, amount: 1, currency: "EUR", reason: "x".repeat(501) },
        meta,
      ),
    ).toThrow(/data\.reason/);
    expect(() => createEvent("OrderPaid", { orderId, paymentId: "nope" } as never, meta)).toThrow(ContractViolation);
    expect(() =>
      createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, { ...meta, correlationId: "" }),
    ).toThrow(/correlationId/);
  });
});

describe("money arithmetic", () => {
  it("is exact or an error", () => {
    expect(
      totalOfItems([
        { quantity: 3, unitPrice: 1250 },
        { quantity: 1, unitPrice: 500 },
      ]),
    ).toBe(4250);
    expect(() => totalOfItems([{ quantity: 10_000, unitPrice: Number.MAX_SAFE_INTEGER }])).toThrow(MoneyOutOfRange);
    expect(() => sumMinorUnits([Number.MAX_SAFE_INTEGER, 1])).toThrow(MoneyOutOfRange);
    expect(lineAmount(2, 3)).toBe(6);
  });
});
