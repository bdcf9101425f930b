import { describe, expect, it } from "vitest";
import { OrderResponse } from "./order.js";
import { FlowHealth } from "./ops-console.js";
import { mismatch } from "./mismatch.js";
import { Problem } from "./problem.js";

describe("response schemas", () => {
  it("tell a projected order from one answered from its events by readModel.source", () => {
    const base = { orderId: "o-1", customerId: "c", items: [], currency: "EUR", totalAmount: 0 };
    const fromEvents = OrderResponse.parse({
      ...base,
      status: "PLACED",
      shippingAddress: { name: "A", line1: "1", city: "B", postalCode: "1", country: "DE" },
      shippingSpeed: "STANDARD",
      version: 1,
      readModel: { source: "event-store", note: "not projected yet" },
    });
    expect(fromEvents.readModel.source).toBe("event-store");
    expect(() => OrderResponse.parse({ ...base, readModel: { source: "projection" } })).toThrow();
  });

  it("keep a problem's extras and refuse a body that is not the shape it names", () => {
    expect(Problem.parse({ type: "about:blank", title: "Conflict", status: 409, code: "X" })).toMatchObject({
      code: "X",
    });
    expect(FlowHealth.safeParse({ at: "now", groups: [] }).success).toBe(false);
  });
});

describe("mismatch", () => {
  it("names the field of the union branch the answer came closest to", () => {
    const r = OrderResponse.safeParse({
      orderId: "o-1",
      status: "PLACED",
      customerId: "c",
      items: [],
      currency: "EUR",
      totalAmount: "12",
      version: 1,
      shippingAddress: { name: "A", line1: "1", city: "B", postalCode: "1", country: "DE" },
      shippingSpeed: "STANDARD",
      readModel: { source: "event-store", note: "not projected yet" },
    });
    expect(r.success).toBe(false);
    expect(mismatch(r.error!)).toMatch(/^totalAmount: /);
    expect(mismatch(FlowHealth.safeParse(null).error!)).toMatch(/^body: /);
  });
});
