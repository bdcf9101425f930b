// The order HTTP API in-process (supertest) on a real, migrated PostgreSQL database.
import { LOCAL_DEV_AUTH } from "@orderflow/config";
import { createMetrics } from "@orderflow/observability";
import { createVerifier, signToken } from "@orderflow/service-kit";
import { pino } from "pino";
import request from "supertest";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafkaClient, createPublisher } from "@orderflow/kafka";
import { createOrderApi } from "../src/commands/api.js";
import type { OrderDeps } from "../src/commands/execute.js";
import { createDb, type Db } from "../src/db/client.js";
import { deleteExpiredKeys } from "../src/db/idempotency.js";
import { createApp } from "../src/http/app.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let app: ReturnType<typeof createApp>;
const AUTH = { mode: "jwt", algorithm: "HS256", ...LOCAL_DEV_AUTH } as const;
let bearer: string;

/** supertest with a token that may do everything */
function api() {
  const t = request(app);
  return {
    get: (u: string) => t.get(u).set("authorization", bearer),
    post: (u: string) => t.post(u).set("authorization", bearer),
  };
}

const valid = {
  customerId: "c-42",
  items: [{ sku: "BOOK-1", quantity: 2, unitPrice: 1250 }],
  currency: "EUR",
  shippingAddress: { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
};

async function counts() {
  const [events, outbox] = await Promise.all([db.prisma.orderEvent.count(), db.prisma.outboxMessage.count()]);
  return { events, outbox };
}

beforeAll(async () => {
  const fresh = await freshDatabase("order_http");
  drop = fresh.drop;
  db = createDb(fresh.url, 4);
  const log = pino({ level: "silent" });
  bearer = `Bearer ${await signToken(AUTH, { subject: "test", scopes: ["orders:read", "orders:write", "ops"] })}`;
  const deps: OrderDeps = { db, clock: () => new Date(), newId: uuidv7, log };
  app = createApp({
    // no replay in these tests: the Kafka client is never connected
    api: createOrderApi(deps, {
      client: createKafkaClient({ brokers: ["127.0.0.1:1"], clientId: "unused", logger: log }),
      publisher: createPublisher(createKafkaClient({ brokers: ["127.0.0.1:1"], clientId: "unused", logger: log })),
    }),
    log,
    registry: createMetrics("order-test").registry,
    readiness: [],
    verify: createVerifier(AUTH),
    rateLimitPerSecond: 0,
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

describe("POST /orders", () => {
  it("accepts a valid order: 202, Location, one OrderPlaced in the store and in the outbox", async () => {
    const before = await counts();
    const r = await api().post("/orders").set("correlation-id", "corr-1").send(valid);
    expect(r.status).toBe(202);
    expect(r.headers.location).toBe(`/orders/${r.body.orderId}`);
    expect(r.body).toMatchObject({ status: "PLACED", totalAmount: 2500, currency: "EUR" });
    expect(await counts()).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });
    const row = await db.prisma.outboxMessage.findFirstOrThrow({ where: { aggregateId: r.body.orderId } });
    expect(row).toMatchObject({
      topic: "order-events",
      key: r.body.orderId,
      eventType: "OrderPlaced",
      publishedAt: null,
    });
    expect(row.headers).toMatchObject({
      "correlation-id": "corr-1",
      "event-type": "OrderPlaced",
      "event-version": "2",
    });

    const got = await api().get(`/orders/${r.body.orderId}`);
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
    const r = await api().post("/orders").send(body);
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 400, title: expect.any(String) });
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await counts()).toEqual(before);
  });

  it("rejects malformed JSON with 400 problem+json, writing nothing", async () => {
    const before = await counts();
    const r = await api().post("/orders").set("content-type", "application/json").send('{"customerId": ');
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body.detail).toMatch(/malformed json/i);
    expect(await counts()).toEqual(before);
  });
});

describe("GET /orders/:id and cancel", () => {
  it("404s an unknown order and 400s a bad id", async () => {
    expect((await api().get(`/orders/${uuidv7()}`)).status).toBe(404);
    const bad = await api().get("/orders/not-a-uuid");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe("id");
  });

  it("cancels a placed order; cancelling again is accepted and adds nothing", async () => {
    const placed = await api().post("/orders").send(valid);
    const id = placed.body.orderId as string;
    const first = await api().post(`/orders/${id}/cancel`).send({ detail: "changed my mind" });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ orderId: id, status: "CANCELLED" });
    const again = await api().post(`/orders/${id}/cancel`).send({});
    expect(again.status).toBe(202);
    const events = await api().get(`/orders/${id}/events`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
  });

  it("404s a cancel of an unknown order", async () => {
    const r = await api().post(`/orders/${uuidv7()}/cancel`).send({});
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("ORDER_NOT_FOUND");
  });
});

describe("authentication", () => {
  const unsigned = (claims: object) =>
    `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ["no token", () => undefined, /bearer token is required/],
    ["a non-bearer scheme", () => "Basic dXNlcjpwYXNz", /not a bearer token/],
    [
      "an expired token",
      () => signToken(AUTH, { subject: "t", scopes: ["orders:write"], ttlSeconds: -60 }).then((t) => `Bearer ${t}`),
      /expired/,
    ],
    [
      "alg none",
      async () =>
        `Bearer ${unsigned({ sub: "t", scope: "orders:write", iss: AUTH.issuer, aud: AUTH.audience, exp: now() + 60 })}`,
      /algorithm is not accepted|malformed/,
    ],
    [
      "the wrong audience",
      () =>
        signToken({ ...AUTH, audience: "someone-else" }, { subject: "t", scopes: ["orders:write"] }).then(
          (t) => `Bearer ${t}`,
        ),
      /"aud" claim/,
    ],
    [
      "the wrong issuer",
      () =>
        signToken({ ...AUTH, issuer: "evil" }, { subject: "t", scopes: ["orders:write"] }).then((t) => `Bearer ${t}`),
      /"iss" claim/,
    ],
    [
      "another key",
      () =>
        signToken({ ...AUTH, secret: "x".repeat(40) }, { subject: "t", scopes: ["orders:write"] }).then(
          (t) => `Bearer ${t}`,
        ),
      /signature/,
    ],
  ])("refuses %s with 401 problem+json and a Bearer challenge, writing nothing", async (_what, header, detail) => {
    const before = await counts();
    const h = await header();
    const req = request(app).post("/orders");
    const r = await (h ? req.set("authorization", h) : req).send(valid);
    expect(r.status).toBe(401);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.headers["www-authenticate"]).toMatch(/^Bearer realm="orderflow"/);
    expect(r.body.detail).toMatch(detail);
    expect(await counts()).toEqual(before);
  });

  it("answers 403 when the token lacks the route's scope", async () => {
    const reader = `Bearer ${await signToken(AUTH, { subject: "viewer", scopes: ["orders:read"] })}`;
    const before = await counts();
    const w = await request(app).post("/orders").set("authorization", reader).send(valid);
    expect(w.status).toBe(403);
    expect(w.headers["www-authenticate"]).toContain('error="insufficient_scope", scope="orders:write"');
    expect((await request(app).post("/admin/projection/replay").set("authorization", reader)).status).toBe(403);
    expect(await counts()).toEqual(before);
    expect((await request(app).get(`/orders/${uuidv7()}`).set("authorization", reader)).status).toBe(404);
  });

  it("leaves health and metrics open for probes and scrapers", async () => {
    expect((await request(app).get("/healthz")).status).toBe(200);
    expect((await request(app).get("/metrics")).status).toBe(200);
  });
});

describe("a corpus of bad input", () => {
  const item = valid.items[0]!;
  const corpus: [string, unknown, string | RegExp][] = [
    ["a JSON array", [valid], /body|expected object/i],
    ["a string quantity", { ...valid, items: [{ ...item, quantity: "2" }] }, "items.0.quantity"],
    ["a negative quantity", { ...valid, items: [{ ...item, quantity: -3 }] }, "items.0.quantity"],
    ["a fractional quantity", { ...valid, items: [{ ...item, quantity: 1.5 }] }, "items.0.quantity"],
    ["a huge quantity", { ...valid, items: [{ ...item, quantity: 1e308 }] }, "items.0.quantity"],
    ["a price beyond 2^53", { ...valid, items: [{ ...item, unitPrice: 2 ** 53 + 2 }] }, "items.0.unitPrice"],
    ["a negative price", { ...valid, items: [{ ...item, unitPrice: -1 }] }, "items.0.unitPrice"],
    ["a null customer", { ...valid, customerId: null }, "customerId"],
    ["an object as customer", { ...valid, customerId: { $ne: "" } }, "customerId"],
    ["a NUL byte in a text field", { ...valid, customerId: "c\u0000-1" }, "customerId"],
    [
      "a 10 000-character name",
      { ...valid, shippingAddress: { ...valid.shippingAddress, name: "n".repeat(10_000) } },
      "shippingAddress.name",
    ],
    [
      "an unknown nested key",
      { ...valid, shippingAddress: { ...valid.shippingAddress, admin: true } },
      "shippingAddress",
    ],
    [
      "a lone UTF-16 surrogate in a name",
      { ...valid, shippingAddress: { ...valid.shippingAddress, name: "Ada \ud800" } },
      "shippingAddress.name",
    ],
    [
      "a total beyond the safe integer range",
      { ...valid, items: [{ sku: "A", quantity: 10_000, unitPrice: 9007199254740991 }] },
      "items",
    ],
    [
      "__proto__ pollution",
      JSON.parse(`{"customerId":"c","items":[],"currency":"EUR","__proto__":{"admin":true}}`),
      /items|__proto__/,
    ],
  ];

  it.each(corpus)("rejects %s with 400 problem+json naming the field, writing nothing", async (_what, body, field) => {
    const before = await counts();
    // the body as a client writes it: JSON.stringify keeps a lone surrogate as the escape \ud800
    const r = await api().post("/orders").set("content-type", "application/json").send(JSON.stringify(body));
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const fields = [r.body.detail as string, ...(r.body.errors ?? []).map((e: { field: string }) => e.field)].join(" ");
    if (typeof field === "string") expect(fields).toContain(field);
    else expect(fields).toMatch(field);
    expect(await counts()).toEqual(before);
  });

  it("stores injection and unicode strings verbatim: parameterised SQL, nothing executed", async () => {
    const nasty = `Robert'); DROP TABLE order_events; -- <script>alert(1)</script> 🚚 Zoë ﷽ \u202e`;
    const r = await api()
      .post("/orders")
      .send({ ...valid, customerId: nasty.slice(0, 100), shippingAddress: { ...valid.shippingAddress, name: nasty } });
    expect(r.status).toBe(202);
    const got = await api().get(`/orders/${r.body.orderId}`);
    expect(got.body).toMatchObject({ customerId: nasty.slice(0, 100), shippingAddress: { name: nasty } });
    expect(await db.prisma.orderEvent.count()).toBeGreaterThan(0); // the table is still there
  });

  it("answers an oversized body with 413 problem+json, writing nothing", async () => {
    const before = await counts();
    const r = await api()
      .post("/orders")
      .set("content-type", "application/json")
      .send(JSON.stringify({ ...valid, pad: "x".repeat(200 * 1024) }));
    expect(r.status).toBe(413);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(await counts()).toEqual(before);
  });

  it("answers a flood of writes with 429 problem+json and RateLimit headers", async () => {
    const limited = createApp({
      api: undefined as never,
      log: pino({ level: "silent" }),
      registry: createMetrics("order-flood").registry,
      readiness: [],
      verify: createVerifier(AUTH),
      rateLimitPerSecond: 5,
    });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await request(limited).post("/orders").send({})).status);
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]); // counted before any token work
    expect(codes.slice(5)).toEqual([429, 429, 429]);
    const r = await request(limited).post("/orders").send({});
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.headers["ratelimit-policy"] ?? r.headers.ratelimit).toBeDefined();
  });
});

describe("text PostgreSQL cannot store, on every route", () => {
  it("refuses NUL in a query string and a lone surrogate in a body with 400 naming the field", async () => {
    const r = await api().get("/orders?customerId=a%00b");
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe("customerId");
    const cancel = await api()
      .post(`/orders/${uuidv7()}/cancel`)
      .set("content-type", "application/json")
      .send('{"detail":"\\udc00"}');
    expect(cancel.status).toBe(400);
    expect(cancel.body.errors[0].field).toBe("detail");
  });
});

describe("Idempotency-Key", () => {
  const key = () => `k-${uuidv7()}`;
  const ordersOf = (customerId: string) =>
    db.prisma.orderEvent.count({ where: { type: "OrderPlaced", data: { path: ["customerId"], equals: customerId } } });

  it("places one order for two identical requests with one key; the retry replays the first answer and says so", async () => {
    const k = key();
    const body = { ...valid, customerId: `idem-${k}` };
    const before = await counts();
    const first = await api().post("/orders").set("idempotency-key", k).send(body);
    const retry = await api().post("/orders").set("idempotency-key", k).send(body);
    expect(first.status).toBe(202);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(retry.status).toBe(202);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.body).toEqual(first.body);
    expect(await ordersOf(body.customerId)).toBe(1);
    expect(await counts()).toEqual({ events: before.events + 1, outbox: before.outbox + 1 });
  });

  it("accepts the draft's quoted form and the same body in another key order as the same request", async () => {
    const k = key();
    const first = await api().post("/orders").set("idempotency-key", `"${k}"`).send(valid);
    const reordered = Object.fromEntries(Object.entries(valid).reverse());
    const retry = await api().post("/orders").set("idempotency-key", k).send(reordered);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.body.orderId).toBe(first.body.orderId);
  });

  it("refuses the same key with a different body with 422 problem+json, writing nothing", async () => {
    const k = key();
    await api().post("/orders").set("idempotency-key", k).send(valid);
    const before = await counts();
    const r = await api()
      .post("/orders")
      .set("idempotency-key", k)
      .send({ ...valid, customerId: "someone-else" });
    expect(r.status).toBe(422);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", errors: [{ field: "Idempotency-Key" }] });
    expect(await counts()).toEqual(before);
  });

  it("answers 409 while a request with the same key is in flight", async () => {
    const k = key();
    // what a request in flight holds: the key's transaction-scoped advisory lock
    const holder = await db.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))", ["test", k]);
      const before = await counts();
      const r = await api().post("/orders").set("idempotency-key", k).send(valid);
      expect(r.status).toBe(409);
      expect(r.body.code).toBe("IDEMPOTENCY_KEY_IN_FLIGHT");
      expect(await counts()).toEqual(before);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    expect((await api().post("/orders").set("idempotency-key", k).send(valid)).status).toBe(202);
  });

  it("gives one order when many identical requests race with one key", async () => {
    const k = key();
    const body = { ...valid, customerId: `race-${k}` };
    const rs = await Promise.all(
      Array.from({ length: 8 }, () => api().post("/orders").set("idempotency-key", k).send(body)),
    );
    expect(rs.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    expect(new Set(rs.filter((r) => r.status === 202).map((r) => r.body.orderId)).size).toBe(1);
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it("scopes keys to the authenticated subject", async () => {
    const k = key();
    const other = `Bearer ${await signToken(AUTH, { subject: "another-client", scopes: ["orders:write"] })}`;
    const mine = await api().post("/orders").set("idempotency-key", k).send(valid);
    const theirs = await request(app).post("/orders").set("authorization", other).set("idempotency-key", k).send(valid);
    expect(theirs.status).toBe(202);
    expect(theirs.headers["idempotent-replayed"]).toBeUndefined();
    expect(theirs.body.orderId).not.toBe(mine.body.orderId);
  });

  it("forgets a key after its window: the sweep deletes it and the key places a new order", async () => {
    const k = key();
    const first = await api().post("/orders").set("idempotency-key", k).send(valid);
    await db.$executeRawUnsafe(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      k,
    );
    const again = await api().post("/orders").set("idempotency-key", k).send(valid);
    expect(again.headers["idempotent-replayed"]).toBeUndefined();
    expect(again.body.orderId).not.toBe(first.body.orderId);
    await db.$executeRawUnsafe(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      k,
    );
    expect(await deleteExpiredKeys(db)).toBeGreaterThanOrEqual(1);
    expect(await db.prisma.idempotencyKey.count({ where: { key: k } })).toBe(0);
  });

  it("keeps the key with the order's events: the row is there exactly when the order is", async () => {
    const k = key();
    const r = await api().post("/orders").set("idempotency-key", k).send(valid);
    const row = await db.prisma.idempotencyKey.findUniqueOrThrow({
      where: { subject_key: { subject: "test", key: k } },
    });
    expect(row).toMatchObject({ status: 202, location: `/orders/${r.body.orderId}` });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeGreaterThan(23 * 3600_000);
    // a request refused before the command (400) stores no key: the key stays free
    const bad = key();
    expect(
      (
        await api()
          .post("/orders")
          .set("idempotency-key", bad)
          .send({ ...valid, currency: "euro" })
      ).status,
    ).toBe(400);
    expect(await db.prisma.idempotencyKey.count({ where: { key: bad } })).toBe(0);
  });

  it("replays a cancel", async () => {
    const placed = await api().post("/orders").send(valid);
    const id = placed.body.orderId as string;
    const k = key();
    const first = await api().post(`/orders/${id}/cancel`).set("idempotency-key", k).send({ detail: "oops" });
    const retry = await api().post(`/orders/${id}/cancel`).set("idempotency-key", k).send({ detail: "oops" });
    expect(first.status).toBe(202);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.body).toEqual({ orderId: id, status: "CANCELLED" });
    expect((await api().post(`/orders/${id}/cancel`).set("idempotency-key", k).send({ detail: "other" })).status).toBe(
      422,
    );
    const events = await api().get(`/orders/${id}/events`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
  });

  it("keeps today's behaviour without a key, and refuses a malformed key with 400 naming the header", async () => {
    const body = { ...valid, customerId: `nokey-${uuidv7()}` };
    await api().post("/orders").send(body);
    await api().post("/orders").send(body);
    expect(await ordersOf(body.customerId)).toBe(2);
    const r = await api().post("/orders").set("idempotency-key", "x".repeat(300)).send(valid);
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe("Idempotency-Key");
  });
});
