// The write side under concurrency and the projection's position-awareness, on a real database.
import { createEvent } from "@orderflow/contracts";
import type { IncomingEvent } from "@orderflow/kafka";
import { createMetrics } from "@orderflow/observability";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySagaEvents } from "../src/commands/apply-saga-event.js";
import { cancelOrder } from "../src/commands/cancel-order.js";
import { execute, type OrderDeps } from "../src/commands/execute.js";
import { getOrder } from "../src/commands/get-order.js";
import { placeOrderOnce, type Respond } from "../src/commands/idempotent.js";
import { placeOrder } from "../src/commands/place-order.js";
import { createDb, type Db } from "../src/db/client.js";
import { ConcurrencyConflict } from "../src/db/event-store.js";
import { readView } from "../src/db/read-model.js";
import { sagaDurations } from "../src/saga-metrics.js";
import { applyRecords } from "../src/projection/store.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let deps: OrderDeps;
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const input = {
  customerId: "c-1",
  items: [{ sku: "A", quantity: 1, unitPrice: 700 }],
  currency: "EUR",
  shippingAddress: address,
  shippingSpeed: "STANDARD" as const,
};

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

const incoming = (event: ReturnType<typeof createEvent>): IncomingEvent => ({
  event,
  topic: "payment-events",
  partition: 0,
  offset: "0",
  key: event.aggregateId,
  headers: {},
  timestamp: "0",
});

describe("the Order event store", () => {
  it("keeps one consistent stream when a cancel and a payment race on the same order", async () => {
    const orders = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(deps, input, { correlationId: "race", causationId: null })),
    );
    await Promise.all(
      orders.flatMap((o) => {
        const authorized = createEvent(
          "PaymentAuthorized",
          { orderId: o.orderId, paymentId: uuidv7(), amount: 700, currency: "EUR" },
          {
            id: uuidv7(),
            occurredAt: new Date().toISOString(),
            correlationId: "race",
            causationId: null,
            source: "payment",
          },
        );
        return [
          retrying(() => cancelOrder(deps, o.orderId, undefined, { correlationId: "race", causationId: null })),
          retrying(() => applySagaEvents(deps, [incoming(authorized)])),
        ];
      }),
    );
    for (const o of orders) {
      const rows = await db.prisma.orderEvent.findMany({ where: { orderId: o.orderId }, orderBy: { sequence: "asc" } });
      expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i + 1)); // no gap, no duplicate
      const types = rows.map((r) => r.type).join(",");
      // the aggregate decides: cancelled before payment, or paid then cancelled
      expect(["OrderPlaced,OrderCancelled", "OrderPlaced,OrderPaid,OrderCancelled"]).toContain(types);
      expect(await db.prisma.outboxMessage.count({ where: { aggregateId: o.orderId } })).toBe(rows.length);
    }
  });

  it("places orders that arrive together in shared statements, each with its own stream and outbox row; a clash fails only its own order", async () => {
    const clashId = uuidv7();
    const meta = { correlationId: "together", causationId: null };
    // the second stream for clashId lands in the same combined statement as the others
    const ids = [
      ...Array.from({ length: 15 }, () => uuidv7()),
      clashId,
      clashId,
      ...Array.from({ length: 15 }, () => uuidv7()),
    ];
    const results = await Promise.allSettled(
      ids.map((orderId) => execute(deps, orderId, { type: "PlaceOrder", orderId, ...input }, meta)),
    );
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [{ id: ids[i], error: r.reason as unknown }] : [],
    );
    expect(failed).toEqual([{ id: clashId, error: expect.any(ConcurrencyConflict) }]);
    const rows = await db.$queryRawUnsafe<{ order_id: string; events: string; outbox: string }[]>(
      `SELECT e.order_id::text, count(*) AS events, (SELECT count(*) FROM outbox o WHERE o.aggregate_id = e.order_id::text) AS outbox FROM order_events e WHERE e.order_id = ANY($1::uuid[]) GROUP BY e.order_id`,
      ids,
    );
    expect(rows).toHaveLength(31);
    expect(rows.every((r) => r.events === "1" && r.outbox === "1")).toBe(true);
    // without a clash, orders placed together share statements: their rows carry the same xmin
    const together = Array.from({ length: 30 }, () => uuidv7());
    await Promise.all(
      together.map((orderId) => execute(deps, orderId, { type: "PlaceOrder", orderId, ...input }, meta)),
    );
    const [tx] = await db.$queryRawUnsafe<{ n: string }[]>(
      `SELECT count(DISTINCT xmin::text) AS n FROM outbox WHERE aggregate_id = ANY($1::text[])`,
      together,
    );
    expect(Number(tx!.n)).toBeLessThanOrEqual(3);
  });

  it("places keyed orders that arrive together in shared statements with their keys; a taken key refuses only its own order", async () => {
    const meta = { correlationId: "keyed", causationId: null };
    const respond: Respond = (o) => ({ status: 202, location: `/orders/${o.orderId}`, body: { orderId: o.orderId } });
    const request = (key: string) => ({ subject: "es-test", key, fingerprint: "f" });
    const stored = `stored-${uuidv7()}`;
    const first = await placeOrderOnce(deps, input, meta, request(stored), respond);
    const held = `held-${uuidv7()}`;
    // a request in flight on another replica holds its key's advisory lock
    const holder = await db.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))", ["es-test", held]);
      const fresh = Array.from({ length: 20 }, () => `fresh-${uuidv7()}`);
      const keys = [...fresh.slice(0, 10), stored, held, ...fresh.slice(10)];
      const results = await Promise.allSettled(keys.map((k) => placeOrderOnce(deps, input, meta, request(k), respond)));
      const outcome = (k: string) => results[keys.indexOf(k)]!;
      expect(outcome(stored)).toEqual({ status: "fulfilled", value: { response: first.response, replayed: true } });
      expect(outcome(held)).toMatchObject({ status: "rejected", reason: { code: "IDEMPOTENCY_KEY_IN_FLIGHT" } });
      const placed = fresh
        .map((k) => outcome(k))
        .map((r) =>
          r.status === "fulfilled" && !r.value.replayed
            ? (r.value.response.body as { orderId: string }).orderId
            : "not placed",
        );
      const rows = await db.$queryRawUnsafe<
        { order_id: string; events: string; outbox: string; key: string | null; tx: string }[]
      >(
        `SELECT e.order_id::text, count(*) AS events, (SELECT count(*) FROM outbox o WHERE o.aggregate_id = e.order_id::text) AS outbox,
                (SELECT k.key FROM idempotency_keys k WHERE k.subject = 'es-test' AND k.location = '/orders/' || e.order_id) AS key, min(e.xmin::text) AS tx
           FROM order_events e WHERE e.order_id = ANY($1::uuid[]) GROUP BY e.order_id`,
        placed.filter((id) => id !== "not placed"),
      );
      expect(rows).toHaveLength(20);
      expect(rows.every((r) => r.events === "1" && r.outbox === "1")).toBe(true);
      // each order's key is the one its request sent, committed with it, and they shared statements
      expect(new Map(rows.map((r) => [r.order_id, r.key]))).toEqual(new Map(placed.map((id, i) => [id, fresh[i]!])));
      expect(new Set(rows.map((r) => r.tx)).size).toBeLessThanOrEqual(3);
      expect(await db.prisma.idempotencyKey.count({ where: { key: held } })).toBe(0);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
  });

  it("answers a write that keeps losing with a ConcurrencyConflict, never a corrupt stream", async () => {
    const o = await placeOrder(deps, input, { correlationId: "c", causationId: null });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        cancelOrder(deps, o.orderId, undefined, { correlationId: "c", causationId: null }),
      ),
    );
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConcurrencyConflict);
    const rows = await db.prisma.orderEvent.findMany({ where: { orderId: o.orderId }, orderBy: { sequence: "asc" } });
    expect(rows.map((r) => r.type)).toEqual(["OrderPlaced", "OrderCancelled"]);
  });
});

describe("a run of saga outcomes in one transaction", () => {
  it("ends where the same outcomes one by one would: same streams, same outbox, duplicates dropped", async () => {
    const m = (source: string) => ({
      id: uuidv7(),
      occurredAt: new Date().toISOString(),
      correlationId: "run",
      causationId: null,
      source,
    });
    const run = async (handle: (msgs: IncomingEvent[]) => Promise<void>) => {
      const [a, b] = await Promise.all([placeOrder(deps, input, m("test")), placeOrder(deps, input, m("test"))]);
      const authorizedA = createEvent(
        "PaymentAuthorized",
        { orderId: a.orderId, paymentId: uuidv7(), amount: 700, currency: "EUR" },
        m("payment"),
      );
      await handle(
        [
          authorizedA,
          authorizedA,
          createEvent(
            "PaymentDeclined",
            { orderId: b.orderId, paymentId: uuidv7(), amount: 700, currency: "EUR", reason: "limit" },
            m("payment"),
          ),
          createEvent(
            "ShipmentDispatched",
            { orderId: a.orderId, shipmentId: uuidv7(), carrier: "DHL", trackingNumber: "DHL1" },
            m("shipping"),
          ),
          createEvent(
            "PaymentRefunded",
            { orderId: b.orderId, paymentId: uuidv7(), amount: 700, currency: "EUR" },
            m("payment"),
          ),
        ].map(incoming),
      );
      const of = async (orderId: string) => ({
        stream: (await db.prisma.orderEvent.findMany({ where: { orderId }, orderBy: { sequence: "asc" } })).map((r) => [
          r.sequence,
          r.type,
        ]),
        outbox: (
          await db.prisma.outboxMessage.findMany({ where: { aggregateId: orderId }, orderBy: { id: "asc" } })
        ).map((r) => r.eventType),
      });
      return { a: await of(a.orderId), b: await of(b.orderId) };
    };
    const oneByOne = await run(async (msgs) => {
      for (const msg of msgs) await applySagaEvents(deps, [msg]);
    });
    const asRun = await run((msgs) => applySagaEvents(deps, msgs));
    expect(asRun).toEqual(oneByOne);
    expect(asRun).toEqual({
      a: {
        stream: [
          [1, "OrderPlaced"],
          [2, "OrderPaid"],
          [3, "OrderShipped"],
        ],
        outbox: ["OrderPlaced", "OrderPaid", "OrderShipped"],
      },
      b: {
        stream: [
          [1, "OrderPlaced"],
          [2, "OrderCancelled"],
        ],
        outbox: ["OrderPlaced", "OrderCancelled"],
      },
    });
  });
});

describe("the saga's duration", () => {
  it("is observed once per order when its terminal event commits, from its OrderPlaced, by outcome", async () => {
    const metrics = createMetrics("order");
    let now = Date.parse("2026-03-01T10:00:00.000Z");
    const timed = { ...deps, clock: () => new Date(now), sagaEnded: sagaDurations(metrics) };
    const meta = { correlationId: "saga-duration", causationId: null };
    const [shipped, declined] = [await placeOrder(timed, input, meta), await placeOrder(timed, input, meta)];
    const outcome = (type: "PaymentAuthorized" | "PaymentDeclined" | "ShipmentDispatched", orderId: string) =>
      incoming(
        createEvent(
          type,
          {
            orderId,
            paymentId: uuidv7(),
            shipmentId: uuidv7(),
            amount: 700,
            currency: "EUR",
            reason: "limit",
            carrier: "DHL",
            trackingNumber: "DHL1",
          } as never,
          {
            id: uuidv7(),
            occurredAt: new Date(now).toISOString(),
            correlationId: "saga-duration",
            causationId: null,
            source: "test",
          },
        ),
      );
    now += 2_000;
    await applySagaEvents(timed, [
      outcome("PaymentAuthorized", shipped.orderId),
      outcome("PaymentDeclined", declined.orderId),
    ]);
    now += 88_000;
    const dispatched = outcome("ShipmentDispatched", shipped.orderId);
    await applySagaEvents(timed, [dispatched]);
    await applySagaEvents(timed, [dispatched]); // a redelivery records nothing, so observes nothing
    // a histogram's values name their series (_bucket, _sum, _count)
    const values = (await metrics.registry.getSingleMetric("orderflow_saga_duration_seconds")!.get()).values as {
      metricName: string;
      labels: Record<string, unknown>;
      value: number;
    }[];
    const sample = (series: string, outcome: string, le?: number) =>
      values.find(
        (v) =>
          v.metricName === `orderflow_saga_duration_seconds_${series}` &&
          v.labels.outcome === outcome &&
          v.labels.le === le,
      )?.value;
    expect([sample("count", "shipped"), sample("sum", "shipped")]).toEqual([1, 90]);
    expect([sample("bucket", "shipped", 60), sample("bucket", "shipped", 300)]).toEqual([0, 1]);
    expect([sample("count", "cancelled"), sample("sum", "cancelled")]).toEqual([1, 2]);
  });
});

describe("older event versions in the store", () => {
  it("are upcast when the stream is folded", async () => {
    const orderId = uuidv7();
    await db.prisma.orderEvent.create({
      data: {
        orderId,
        sequence: 1,
        eventId: uuidv7(),
        type: "OrderPlaced",
        version: 1,
        data: {
          orderId,
          customerId: "c-old",
          items: [{ sku: "A", quantity: 1, unitPrice: 9 }],
          currency: "EUR",
          totalAmount: 9,
          shippingAddress: address,
        },
        correlationId: "old",
        causationId: null,
        occurredAt: new Date("2025-01-01T00:00:00Z"),
      },
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
    const placed = createEvent(
      "OrderPlaced",
      {
        orderId,
        customerId: "c-9",
        items: [{ sku: "A", quantity: 1, unitPrice: 5 }],
        currency: "EUR",
        totalAmount: 5,
        shippingAddress: address,
        shippingSpeed: "STANDARD",
      },
      { id: uuidv7(), occurredAt: new Date().toISOString(), correlationId: "p", causationId: null, source: "order" },
    );
    const at = { topic: "order-events", partition: 4, offset: "1000000" };
    expect(await applyRecords(db, "live", [{ event: placed, at }])).toEqual([true]);
    expect(await applyRecords(db, "live", [{ event: placed, at }])).toEqual([false]);
    expect(await applyRecords(db, "live", [{ event: placed, at: { ...at, offset: "999999" } }])).toEqual([false]); // behind the position
    const row = await readView(db, orderId);
    expect(row?.view).toMatchObject({ orderId, status: "PLACED", customerId: "c-9" });
    expect(row?.view.timeline).toHaveLength(1);
  });

  it("applies a run as it applies the same records one by one, and a redelivered run changes nothing", async () => {
    const m = (source: string) => ({
      id: uuidv7(),
      occurredAt: new Date().toISOString(),
      correlationId: "r",
      causationId: null,
      source,
    });
    const records = (orderIds: string[], partition: number) =>
      orderIds.flatMap((orderId, i) => [
        {
          event: createEvent(
            "OrderPlaced",
            {
              orderId,
              customerId: "c-7",
              items: [{ sku: "A", quantity: 2, unitPrice: 5 }],
              currency: "EUR",
              totalAmount: 10,
              shippingAddress: address,
              shippingSpeed: "STANDARD",
            },
            m("order"),
          ),
          at: { topic: "order-events", partition, offset: String(10 * i) },
        },
        {
          event: createEvent(
            "OrderPaid",
            { orderId, paymentId: uuidv7(), amount: 10, currency: "EUR", shippingAddress: address },
            m("order"),
          ),
          at: { topic: "order-events", partition, offset: String(10 * i + 1) },
        },
        {
          event: createEvent(
            "PaymentAuthorized",
            { orderId, paymentId: uuidv7(), amount: 10, currency: "EUR" },
            m("payment"),
          ),
          at: { topic: "payment-events", partition, offset: String(10 * i) },
        },
      ]);
    const one = [uuidv7(), uuidv7()];
    const many = [uuidv7(), uuidv7()];
    for (const r of records(one, 7)) await applyRecords(db, "live", [r]);
    const run = records(many, 8);
    expect(await applyRecords(db, "live", run)).toEqual(run.map(() => true));
    expect(await applyRecords(db, "live", run)).toEqual(run.map(() => false));
    const shape = async (id: string) => {
      const v = (await readView(db, id))!.view;
      return { status: v.status, payment: v.payment?.status, timeline: v.timeline.map((t) => [t.type, t.offset]) };
    };
    for (const i of [0, 1]) expect(await shape(many[i]!)).toEqual(await shape(one[i]!));
    expect(await shape(many[1]!)).toEqual({
      status: "PAID",
      payment: "AUTHORIZED",
      timeline: [
        ["OrderPlaced", "10"],
        ["OrderPaid", "11"],
        ["PaymentAuthorized", "10"],
      ],
    });
  });

  it("loses nothing when an order's first records arrive on two topics at once", async () => {
    for (let i = 0; i < 10; i++) {
      const orderId = uuidv7();
      const m = (source: string) => ({
        id: uuidv7(),
        occurredAt: new Date().toISOString(),
        correlationId: "p",
        causationId: null,
        source,
      });
      const placed = createEvent(
        "OrderPlaced",
        {
          orderId,
          customerId: "c-8",
          items: [{ sku: "A", quantity: 1, unitPrice: 5 }],
          currency: "EUR",
          totalAmount: 5,
          shippingAddress: address,
          shippingSpeed: "STANDARD",
        },
        m("order"),
      );
      const authorized = createEvent(
        "PaymentAuthorized",
        { orderId, paymentId: uuidv7(), amount: 5, currency: "EUR" },
        m("payment"),
      );
      await Promise.all([
        applyRecords(db, "live", [
          { event: placed, at: { topic: "order-events", partition: 1, offset: String(2000 + i) } },
        ]),
        applyRecords(db, "live", [
          { event: authorized, at: { topic: "payment-events", partition: 1, offset: String(2000 + i) } },
        ]),
      ]);
      const v = (await readView(db, orderId))!.view;
      expect(v.timeline.map((t) => t.type).sort()).toEqual(["OrderPlaced", "PaymentAuthorized"]);
      expect(v).toMatchObject({ status: "PLACED", payment: { status: "AUTHORIZED" } });
    }
  });
});
