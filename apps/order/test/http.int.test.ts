// The order HTTP API in-process (supertest) on a real, migrated PostgreSQL database.
import { createMetrics } from "@orderflow/observability";
import { pino } from "pino";
import request from "supertest";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafkaClient, createPublisher } from "@orderflow/kafka";
import { createOrderApi } from "../src/commands/api.js";
import type { OrderDeps } from "../src/commands/execute.js";
import { createDb, type Db } from "../src/db/client.js";
import { createApp } from "../src/http/app.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let app: ReturnType<typeof createApp>;

const valid = {
  customerId: "c-42",
  items: [{ sku: "BOOK-1", quantity: 2, unitPrice: 1250 }],
  currency: "EUR",
  shippingAddress: { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
};

async function counts() {
  const [events, outbox] = await Promise.all([db.orderEvent.count(), db.outboxMessage.count()]);
  return { events, outbox };
}

beforeAll(async () => {
  const fresh = await freshDatabase("order_http");
  drop = fresh.drop;
  db = createDb(fresh.url, 4);
  const log = pino({ level: "silent" });
  const deps: OrderDeps = { db, clock: () => new Date(), newId: uuidv7, log };
  app = createApp({
    // no replay in these tests: the Kafka client is never connected
    api: createOrderApi(deps, { client: createKafkaClient({ brokers: ["127.0.0.1:1"], clientId: "unused", logger: log }), publisher: createPublisher(createKafkaClient({ brokers: ["127.0.0.1:1"], clientId: "unused", logger: log })) }),
    log,
    registry: createMetrics("order-test").registry,
    readiness: [],
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

describe("POST /orders", () => {
  it("accepts a valid order: 202, Location, one OrderPlaced in the store and in the outbox", async () => {
    const before = await counts();
    const r = await request(app).post("/orders").set("correlation-id", "corr-1").send(valid);
    expect(r.status).toBe(202);
    expect(r.headers.location).toBe(`/orders/${r.body.orderId}`);
    expect(r.body).toMatchObject({ status: "PLACED", totalAmount: 2500, currency: "EUR" });
    expect(await counts()).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });
    const row = await db.outboxMessage.findFirstOrThrow({ where: { aggregateId: r.body.orderId } });
    expect(row).toMatchObject({ topic: "order-events", key: r.body.orderId, eventType: "OrderPlaced", publishedAt: null });
    expect(row.headers).toMatchObject({ "correlation-id": "corr-1", "event-type": "OrderPlaced", "event-version": "2" });

    const got = await request(app).get(`/orders/${r.body.orderId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ orderId: r.body.orderId, status: "PLACED", customerId: "c-42", version: 1 });
  });

  it.each([
    ["a non-positive quantity", { ...valid, items: [{ sku: "A", quantity: 0, unitPrice: 1 }] }, "items.0.quantity"],
    ["a missing customer", { ...valid, customerId: undefined }, "customerId"],
    ["a bad currency", { ...valid, currency: "euro" }, "currency"],
    ["no items", { ...valid, items: [] }, "items"],
    ["an unknown field", { ...valid, coupon: "FREE" }, "coupon"],
  ])("rejects %s with 400 problem+json naming the field, writing nothing", async (_what, body, field) => {
    const before = await counts();
    const r = await request(app).post("/orders").send(body);
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 400, title: expect.any(String) });
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await counts()).toEqual(before);
  });

  it("rejects malformed JSON with 400 problem+json, writing nothing", async () => {
    const before = await counts();
    const r = await request(app).post("/orders").set("content-type", "application/json").send('{"customerId": ');
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body.detail).toMatch(/malformed json/i);
    expect(await counts()).toEqual(before);
  });
});

describe("GET /orders/:id and cancel", () => {
  it("404s an unknown order and 400s a bad id", async () => {
    expect((await request(app).get(`/orders/${uuidv7()}`)).status).toBe(404);
    const bad = await request(app).get("/orders/not-a-uuid");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe("id");
  });

  it("cancels a placed order; cancelling again is accepted and adds nothing", async () => {
    const placed = await request(app).post("/orders").send(valid);
    const id = placed.body.orderId as string;
    const first = await request(app).post(`/orders/${id}/cancel`).send({ detail: "changed my mind" });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ orderId: id, status: "CANCELLED" });
    const again = await request(app).post(`/orders/${id}/cancel`).send({});
    expect(again.status).toBe(202);
    const events = await request(app).get(`/orders/${id}/events`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
  });

  it("404s a cancel of an unknown order", async () => {
    const r = await request(app).post(`/orders/${uuidv7()}/cancel`).send({});
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("ORDER_NOT_FOUND");
  });
});
