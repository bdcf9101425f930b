// Payment's reaction to order events, in-process on a real, migrated PostgreSQL database.
import { createEvent } from "@orderflow/contracts";
import { eventMeta } from "@orderflow/db-kit";
import { type IncomingEvent, incomingRecord } from "@orderflow/kafka";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { handleOrderEvents, paymentIdFor, type PaymentDeps } from "../src/commands/handle-order-event.js";
import { createDb, type Db } from "../src/db/client.js";
import { HttpPaymentGateway } from "../src/gateway/http-gateway.js";
import { freshDatabase, startProvider } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let deps: PaymentDeps;
let provider: Awaited<ReturnType<typeof startProvider>>;
let dbName: string;

beforeAll(async () => {
  const fresh = await freshDatabase("payment_int");
  drop = fresh.drop;
  dbName = new URL(fresh.url).pathname.slice(1);
  db = createDb(fresh.url, 4);
  provider = await startProvider({ PROVIDER_DECLINE_ABOVE: "100000" });
  deps = {
    db,
    gateway: new HttpPaymentGateway({ baseUrl: provider.url, timeoutMs: 1000 }),
    clock: () => new Date(),
    newId: uuidv7,
    log: pino({ level: "silent" }),
  };
});

afterAll(async () => {
  await provider?.stop();
  await db?.$disconnect();
  await drop?.();
});

afterEach(() => provider.faults({ latencyMs: 0, errorRate: 0, lostAnswerRate: 0 }));

const meta = () => eventMeta({ id: uuidv7(), correlationId: "corr-p" });
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const placed = (orderId: string, total: number) =>
  createEvent(
    "OrderPlaced",
    {
      orderId,
      customerId: "c",
      items: [{ sku: "A", quantity: 1, unitPrice: total }],
      currency: "EUR",
      totalAmount: total,
      shippingAddress: address,
      shippingSpeed: "STANDARD",
    },
    meta(),
  );

async function outboxOf(orderId: string) {
  return db.prisma.outboxMessage.findMany({ where: { aggregateId: orderId }, orderBy: { id: "asc" } });
}

describe("payment on order events", () => {
  it("authorizes once, even when OrderPlaced is delivered twice", async () => {
    const orderId = uuidv7();
    const event = placed(orderId, 3000);
    await handleOrderEvents(deps, [incomingRecord(event)]);
    await handleOrderEvents(deps, [incomingRecord(event)]);
    expect(await db.prisma.payment.findMany({ where: { orderId } })).toMatchObject([
      { status: "AUTHORIZED", amount: 3000n },
    ]);
    const out = await outboxOf(orderId);
    expect(out.map((r) => r.eventType)).toEqual(["PaymentAuthorized"]);
    expect(out[0]!.headers).toMatchObject({ "correlation-id": "corr-p", "causation-id": event.id, source: "payment" });
    expect(await provider.requests(orderId)).toMatchObject([
      { operation: "authorization", status: "approved", paymentId: paymentIdFor(orderId) },
    ]);
  });

  it("declines above the limit with the reason", async () => {
    const orderId = uuidv7();
    await handleOrderEvents(deps, [incomingRecord(placed(orderId, 100_001))]);
    const [p] = await db.prisma.payment.findMany({ where: { orderId } });
    expect(p).toMatchObject({ status: "DECLINED" });
    expect(p!.declineReason).toMatch(/100000/);
    expect((await outboxOf(orderId)).map((r) => r.eventType)).toEqual(["PaymentDeclined"]);
  });

  it("refunds an authorized payment when the order is cancelled, once", async () => {
    const orderId = uuidv7();
    await handleOrderEvents(deps, [incomingRecord(placed(orderId, 500))]);
    const cancelled = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta());
    await handleOrderEvents(deps, [incomingRecord(cancelled)]);
    await handleOrderEvents(deps, [
      incomingRecord(createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta())),
    ]);
    expect(await db.prisma.payment.findMany({ where: { orderId } })).toMatchObject([{ status: "REFUNDED" }]);
    expect((await outboxOf(orderId)).map((r) => r.eventType)).toEqual(["PaymentAuthorized", "PaymentRefunded"]);
    expect((await provider.requests(orderId)).map((r) => r.operation).sort()).toEqual(["authorization", "refund"]);
  });

  it("a run in one transaction ends where the same events one by one would: same payments, same events per order, duplicates dropped", async () => {
    const run = async (handle: (msgs: IncomingEvent[]) => Promise<void>) => {
      const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
      await handleOrderEvents(deps, [incomingRecord(placed(c, 700))]); // authorized before the run
      const placedA = placed(a, 300);
      const events = [
        placedA,
        placedA,
        placed(b, 100_001),
        createEvent("OrderCancelled", { orderId: a, reason: "CUSTOMER_REQUESTED" }, meta()),
        createEvent("OrderCancelled", { orderId: c, reason: "CUSTOMER_REQUESTED" }, meta()),
        createEvent("OrderCancelled", { orderId: c, reason: "CUSTOMER_REQUESTED" }, meta()),
      ];
      await handle(events.map((e) => incomingRecord(e)));
      const result = async (orderId: string) => ({
        payments: (await db.prisma.payment.findMany({ where: { orderId } })).map((p) => [p.status, Number(p.amount)]),
        events: (await outboxOf(orderId)).map((r) => [r.eventType, r.headers]),
      });
      const strip = (r: Awaited<ReturnType<typeof result>>) => ({
        payments: r.payments,
        events: r.events.map(([t]) => t),
      });
      return { a: strip(await result(a)), b: strip(await result(b)), c: strip(await result(c)) };
    };
    const oneByOne = await run(async (msgs) => {
      for (const m of msgs) await handleOrderEvents(deps, [m]);
    });
    const asRun = await run((msgs) => handleOrderEvents(deps, msgs));
    expect(asRun).toEqual(oneByOne);
    expect(asRun).toEqual({
      a: { payments: [["REFUNDED", 300]], events: ["PaymentAuthorized", "PaymentRefunded"] },
      b: { payments: [["DECLINED", 100_001]], events: ["PaymentDeclined"] },
      c: { payments: [["REFUNDED", 700]], events: ["PaymentAuthorized", "PaymentRefunded"] },
    });
  });
});

describe("the provider, an external system", () => {
  it("is asked under the same key on every attempt: a crash after its answer and before the commit charges once", async () => {
    const orderId = uuidv7();
    const event = placed(orderId, 4200);
    // the first attempt's commit never happens (the process dies in between, as far as the database knows)
    const dying: PaymentDeps = {
      ...deps,
      db: {
        ...db,
        $transaction: async () => {
          throw new Error("killed before commit");
        },
      } as Db,
    };
    await expect(handleOrderEvents(dying, [incomingRecord(event)])).rejects.toThrow(/killed before commit/);
    expect(await db.prisma.payment.count({ where: { orderId } })).toBe(0);
    await handleOrderEvents(deps, [incomingRecord(event)]); // the redelivery
    await handleOrderEvents(deps, [incomingRecord(event)]); // and a duplicate of it
    const held = await provider.requests(orderId);
    expect(held).toMatchObject([
      { operation: "authorization", status: "approved", presentedCount: 2, paymentId: paymentIdFor(orderId) },
    ]);
    expect(await db.prisma.payment.findMany({ where: { orderId } })).toMatchObject([
      { id: paymentIdFor(orderId), status: "AUTHORIZED" },
    ]);
  });

  it("answers lost on the way (applied, then a timeout) are asked for again and replayed: one charge", async () => {
    const orderId = uuidv7();
    const event = placed(orderId, 900);
    await provider.faults({ lostAnswerRate: 1 });
    await expect(handleOrderEvents(deps, [incomingRecord(event)])).rejects.toMatchObject({
      name: "GatewayUnavailableError",
      retriable: true,
    });
    expect(await provider.requests(orderId)).toMatchObject([
      { operation: "authorization", status: "approved", presentedCount: 1 },
    ]);
    await provider.faults({ lostAnswerRate: 0 });
    await handleOrderEvents(deps, [incomingRecord(event)]);
    expect(await provider.requests(orderId)).toMatchObject([
      { operation: "authorization", status: "approved", presentedCount: 2 },
    ]);
    expect((await outboxOf(orderId)).map((r) => r.eventType)).toEqual(["PaymentAuthorized"]);
  });

  it("is called with no transaction open: a slow provider holds no locks", async () => {
    const orderId = uuidv7();
    await provider.faults({ latencyMs: 400 });
    const handled = handleOrderEvents(deps, [incomingRecord(placed(orderId, 1200))]);
    await new Promise((r) => setTimeout(r, 200)); // mid-call: the provider is still thinking
    const [row] = await db.$queryRawUnsafe<{ open: number }[]>(
      `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'`,
      dbName,
    );
    await handled;
    expect(row?.open).toBe(0);
    expect(await db.prisma.payment.count({ where: { orderId } })).toBe(1);
  });

  it("refunds under a key of its own, once, across redeliveries", async () => {
    const orderId = uuidv7();
    await handleOrderEvents(deps, [incomingRecord(placed(orderId, 800))]);
    const cancelled = incomingRecord(createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta()));
    const dying: PaymentDeps = {
      ...deps,
      db: {
        ...db,
        $transaction: async () => {
          throw new Error("killed before commit");
        },
      } as Db,
    };
    await expect(handleOrderEvents(dying, [cancelled])).rejects.toThrow();
    await handleOrderEvents(deps, [cancelled]);
    const refunds = (await provider.requests(orderId)).filter((r) => r.operation === "refund");
    expect(refunds).toMatchObject([{ status: "refunded", presentedCount: 2 }]);
    expect(await db.prisma.payment.findMany({ where: { orderId } })).toMatchObject([{ status: "REFUNDED" }]);
  });
});

describe("an event payment would emit that breaks its contract", () => {
  it("fails the record as non-retriable and writes nothing", async () => {
    const orderId = uuidv7();
    // a provider whose decline reason is longer than PaymentDeclined allows
    const verbose: PaymentDeps = {
      ...deps,
      gateway: { authorize: async () => ({ approved: false, reason: "no ".repeat(300) }), refund: async () => {} },
    };
    const err = await handleOrderEvents(verbose, [incomingRecord(placed(orderId, 100_001))]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ContractViolation", retriable: false, issues: [{ field: "data.reason" }] });
    expect(await db.prisma.payment.count({ where: { orderId } })).toBe(0);
    expect(await outboxOf(orderId)).toEqual([]);
  });
});
