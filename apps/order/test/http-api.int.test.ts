// The order service's real answers parse with the schemas in @orderflow/http-api that the ops
// console and the CLI read them with, and each schema names every field the service sends.
import type { OrderflowEvent } from "@orderflow/contracts";
import { LOCAL_DEV_AUTH } from "@orderflow/config";
import {
  CancelAccepted,
  OrderAccepted,
  OrderEvents,
  OrderList,
  OrderResponse,
  ProjectedOrder,
  ProjectionStatus,
  Rebuilt,
  UnprojectedOrder,
} from "@orderflow/http-api/order";
import { Problem } from "@orderflow/http-api/problem";
import { createKafkaClient, createPublisher } from "@orderflow/kafka";
import { createMetrics } from "@orderflow/observability";
import { createVerifier, signToken } from "@orderflow/service-kit";
import { pino } from "pino";
import request from "supertest";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createOrderApi } from "../src/commands/api.js";
import { createDb, type Db } from "../src/db/client.js";
import { createApp } from "../src/http/app.js";
import { applyRecords } from "../src/projection/store.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let app: ReturnType<typeof createApp>;
let bearer: string;
const AUTH = { mode: "jwt", algorithm: "HS256", ...LOCAL_DEV_AUTH } as const;

const get = (u: string) => request(app).get(u).set("authorization", bearer);
const post = (u: string) => request(app).post(u).set("authorization", bearer);

/** parsing keeps every field: zod drops the ones a schema does not name, so equality means none is missing */
function expectParses(schema: z.ZodType, body: unknown) {
  expect(schema.parse(body)).toEqual(body);
}

beforeAll(async () => {
  const fresh = await freshDatabase("order_http_api");
  drop = fresh.drop;
  db = createDb(fresh.url, 2);
  const log = pino({ level: "silent" });
  bearer = `Bearer ${await signToken(AUTH, { subject: "test", scopes: ["orders:read", "orders:write", "ops"] })}`;
  // no replay here: the Kafka client is never connected
  const kafka = createKafkaClient({ brokers: ["127.0.0.1:1"], clientId: "unused", logger: log });
  app = createApp({
    api: createOrderApi(
      { db, clock: () => new Date(), newId: uuidv7, log },
      { client: kafka, publisher: createPublisher(kafka) },
    ),
    log,
    registry: createMetrics("order-test").registry,
    readiness: [],
    verify: createVerifier(AUTH),
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

describe("the order API's answers parse with @orderflow/http-api", () => {
  const order = {
    customerId: `c-${uuidv7()}`,
    items: [{ sku: "BOOK-1", quantity: 2, unitPrice: 1250 }],
    currency: "EUR",
    shippingAddress: { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
  };

  it("before and after the read model holds the order, and every other route", async () => {
    const placed = await post("/orders").send(order);
    expect(placed.status).toBe(202);
    expectParses(OrderAccepted, placed.body);
    const id = placed.body.orderId as string;

    const fromEvents = await get(`/orders/${id}`);
    expectParses(UnprojectedOrder, fromEvents.body);
    expectParses(OrderResponse, fromEvents.body);

    const events = await get(`/orders/${id}/events`);
    expectParses(OrderEvents, events.body);

    await applyRecords(db, "live", [
      { event: events.body.events[0] as OrderflowEvent, at: { topic: "order-events", partition: 0, offset: "0" } },
    ]);
    const projected = await get(`/orders/${id}`);
    expect(projected.body.readModel.source).toBe("projection");
    expectParses(ProjectedOrder, projected.body);
    expectParses(OrderResponse, projected.body);
    expectParses(OrderList, (await get(`/orders?customerId=${order.customerId}`)).body);
    expectParses(Rebuilt, (await get(`/orders/${id}/rebuild`)).body);
    expectParses(ProjectionStatus, (await get("/admin/projection")).body);

    const cancelled = await post(`/orders/${id}/cancel`).send({ detail: "changed my mind" });
    expect(cancelled.status).toBe(202);
    expectParses(CancelAccepted, cancelled.body);
  });

  it("an error is problem+json", async () => {
    const missing = await get(`/orders/${uuidv7()}`);
    expect(missing.status).toBe(404);
    expectParses(Problem, missing.body);
  });
});
