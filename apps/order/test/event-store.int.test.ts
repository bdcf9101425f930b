// The write side under concurrency and the projection's position-awareness, on a real database.
import { createEvent } from "@orderflow/contracts";
import type { IncomingEvent } from "@orderflow/kafka";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySagaEvent } from "../src/commands/apply-saga-event.js";
import { cancelOrder } from "../src/commands/cancel-order.js";
import type { OrderDeps } from "../src/commands/execute.js";
import { getOrder } from "../src/commands/get-order.js";
import { placeOrder } from "../src/commands/place-order.js";
import { createDb, type Db } from "../src/db/client.js";
import { ConcurrencyConflict } from "../src/db/event-store.js";
import { applyRecord, readView } from "../src/projection/store.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let deps: OrderDeps;
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const input = { customerId: "c-1", items: [{ sku: "A", quantity: 1, unitPrice: 700 }], currency: "EUR", shippingAddress: address, shippingSpeed: "STANDARD" as const };

beforeAll(async () => {
  const fresh = await freshDatabase("order_es");
  drop = fresh.drop;
  db = createDb(fresh.url, 20);
  deps = { db, clock: () => new Date(), newId: uuidv7, log: pino({ level: "silent" }) };
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

/** what the consumer does with a retriable failure: try again */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ConcurrencyConflict)) throw e;
    }
  }
}

const incoming = (event: ReturnType<typeof createEvent>): IncomingEvent => ({ event, topic: "payment-events", partition: 0, offset: "0", key: event.aggregateId, headers: {}, timestamp: "0" });

describe("the Order event store", () => {
  it("keeps one consistent stream when a cancel and a payment race on the same order", async () => {
    const orders = await Promise.all(Array.from({ length: 20 }, () => placeOrder(deps, input, { correlationId: "race", causationId: null })));
    await Promise.all(
      orders.flatMap((o) => {
        const authorized = createEvent("PaymentAuthorized", { orderId: o.orderId, paymentId: uuidv7(), amount: 700, currency: "EUR" }, { id: uuidv7(), occurredAt: new Date().toISOString(), correlationId: "race", causationId: null, source: "payment" });
        return [retrying(() => cancelOrder(deps, o.orderId, undefined, { correlationId: "race", causationId: null })), retrying(() => applySagaEvent(deps, incoming(authorized)))];
      }),
    );
    for (const o of orders) {
      const rows = await db.orderEvent.findMany({ where: { orderId: o.orderId }, orderBy: { sequence: "asc" } });
      expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i + 1)); // no gap, no duplicate
      const types = rows.map((r) => r.type).join(",");
      // the aggregate decides: cancelled before payment, or paid then cancelled
      expect(["OrderPlaced,OrderCancelled", "OrderPlaced,OrderPaid,OrderCancelled"]).toContain(types);
      expect(await db.outboxMessage.count({ where: { aggregateId: o.orderId } })).toBe(rows.length);
    }
  });

  it("answers a write that keeps losing with a ConcurrencyConflict, never a corrupt stream", async () => {
    const o = await placeOrder(deps, input, { correlationId: "c", causationId: null });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => cancelOrder(deps, o.orderId, undefined, { correlationId: "c", causationId: null })));
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConcurrencyConflict);
    const rows = await db.orderEvent.findMany({ where: { orderId: o.orderId }, orderBy: { sequence: "asc" } });
    expect(rows.map((r) => r.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
  });
});

describe("older event versions in the store", () => {
  it("are upcast when the stream is folded", async () => {
    const orderId = uuidv7();
    await db.orderEvent.create({
      data: { orderId, sequence: 1, eventId: uuidv7(), type: "OrderPlaced", version: 1, data: { orderId, customerId: "c-old", items: [{ sku: "A", quantity: 1, unitPrice: 9 }], currency: "EUR", totalAmount: 9, shippingAddress: address }, correlationId: "old", causationId: null, occurredAt: new Date("2025-01-01T00:00:00Z") },
    });
    const { state, events } = await getOrder(deps, orderId);
    expect(events[0]).toMatchObject({ type: "OrderPlaced", version: 2, data: { shippingSpeed: "STANDARD" } });
    expect(state).toMatchObject({ status: "PLACED", customerId: "c-old", shippingSpeed: "STANDARD", version: 1 });
    // and the stream goes on from there
    await cancelOrder(deps, orderId, undefined, { correlationId: "old", causationId: null });
    expect((await getOrder(deps, orderId)).state?.status).toBe("CANCELLED");
  });
});

describe("the projection", () => {
  it("applies a record once per generation: a redelivery after a crash changes nothing", async () => {
    const orderId = uuidv7();
    const placed = createEvent("OrderPlaced", { orderId, customerId: "c-9", items: [{ sku: "A", quantity: 1, unitPrice: 5 }], currency: "EUR", totalAmount: 5, shippingAddress: address, shippingSpeed: "STANDARD" }, { id: uuidv7(), occurredAt: new Date().toISOString(), correlationId: "p", causationId: null, source: "order" });
    const at = { topic: "order-events", partition: 4, offset: "1000000" };
    expect(await applyRecord(db, "live", placed, at)).toBe(true);
    expect(await applyRecord(db, "live", placed, at)).toBe(false);
    expect(await applyRecord(db, "live", placed, { ...at, offset: "999999" })).toBe(false); // behind the position
    const row = await readView(db, orderId);
    expect(row?.view).toMatchObject({ orderId, status: "PLACED", customerId: "c-9" });
    expect(row?.view.timeline).toHaveLength(1);
  });

  it("loses nothing when an order's first records arrive on two topics at once", async () => {
    for (let i = 0; i < 10; i++) {
      const orderId = uuidv7();
      const m = (source: string) => ({ id: uuidv7(), occurredAt: new Date().toISOString(), correlationId: "p", causationId: null, source });
      const placed = createEvent("OrderPlaced", { orderId, customerId: "c-8", items: [{ sku: "A", quantity: 1, unitPrice: 5 }], currency: "EUR", totalAmount: 5, shippingAddress: address, shippingSpeed: "STANDARD" }, m("order"));
      const authorized = createEvent("PaymentAuthorized", { orderId, paymentId: uuidv7(), amount: 5, currency: "EUR" }, m("payment"));
      await Promise.all([
        applyRecord(db, "live", placed, { topic: "order-events", partition: 1, offset: String(2000 + i) }),
        applyRecord(db, "live", authorized, { topic: "payment-events", partition: 1, offset: String(2000 + i) }),
      ]);
      const v = (await readView(db, orderId))!.view;
      expect(v.timeline.map((t) => t.type).sort()).toEqual(["OrderPlaced", "PaymentAuthorized"]);
      expect(v).toMatchObject({ status: "PLACED", payment: { status: "AUTHORIZED" } });
    }
  });
});
