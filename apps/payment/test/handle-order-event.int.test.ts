// Payment's reaction to order events, in-process on a real, migrated PostgreSQL database.
import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import type { IncomingEvent } from "@orderflow/kafka";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleOrderEvent, handleOrderEvents, type PaymentDeps } from "../src/commands/handle-order-event.js";
import { createDb, type Db } from "../src/db/client.js";
import { SimulatedGateway } from "../src/gateway/gateway.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let deps: PaymentDeps;

beforeAll(async () => {
  const fresh = await freshDatabase("payment_int");
  drop = fresh.drop;
  db = createDb(fresh.url, 4);
  deps = { db, gateway: new SimulatedGateway(100_000), clock: () => new Date(), newId: uuidv7, log: pino({ level: "silent" }) };
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

const meta = () => ({ id: uuidv7(), occurredAt: new Date().toISOString(), correlationId: "corr-p", causationId: null, source: "order" });
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const incoming = (event: OrderflowEvent): IncomingEvent => ({ event, topic: "order-events", partition: 0, offset: "0", key: event.aggregateId, headers: {}, timestamp: "0" });
const placed = (orderId: string, total: number) =>
  createEvent("OrderPlaced", { orderId, customerId: "c", items: [{ sku: "A", quantity: 1, unitPrice: total }], currency: "EUR", totalAmount: total, shippingAddress: address, shippingSpeed: "STANDARD" }, meta());

async function outboxOf(orderId: string) {
  return db.prisma.outboxMessage.findMany({ where: { aggregateId: orderId }, orderBy: { id: "asc" } });
}

describe("payment on order events", () => {
  it("authorizes once, even when OrderPlaced is delivered twice", async () => {
    const orderId = uuidv7();
    const event = placed(orderId, 3000);
    await handleOrderEvent(deps, incoming(event));
    await handleOrderEvent(deps, incoming(event));
    expect(await db.prisma.payment.findMany({ where: { orderId } })).toMatchObject([{ status: "AUTHORIZED", amount: 3000 }]);
    const out = await outboxOf(orderId);
    expect(out.map((r) => r.eventType)).toEqual(["PaymentAuthorized"]);
    expect(out[0]!.headers).toMatchObject({ "correlation-id": "corr-p", "causation-id": event.id, source: "payment" });
  });

  it("declines above the limit with the reason", async () => {
    const orderId = uuidv7();
    await handleOrderEvent(deps, incoming(placed(orderId, 100_001)));
    const [p] = await db.prisma.payment.findMany({ where: { orderId } });
    expect(p).toMatchObject({ status: "DECLINED" });
    expect(p!.declineReason).toMatch(/exceeds the simulated limit of 100000/);
    expect((await outboxOf(orderId)).map((r) => r.eventType)).toEqual(["PaymentDeclined"]);
  });

  it("refunds an authorized payment when the order is cancelled, once", async () => {
    const orderId = uuidv7();
    await handleOrderEvent(deps, incoming(placed(orderId, 500)));
    const cancelled = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta());
    await handleOrderEvent(deps, incoming(cancelled));
    await handleOrderEvent(deps, incoming(createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta())));
    expect(await db.prisma.payment.findMany({ where: { orderId } })).toMatchObject([{ status: "REFUNDED" }]);
    expect((await outboxOf(orderId)).map((r) => r.eventType)).toEqual(["PaymentAuthorized", "PaymentRefunded"]);
  });

  it("a run in one transaction ends where the same events one by one would: same payments, same events per order, duplicates dropped", async () => {
    const run = async (handle: (msgs: IncomingEvent[]) => Promise<void>) => {
      const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
      await handleOrderEvent(deps, incoming(placed(c, 700))); // authorized before the run
      const placedA = placed(a, 300);
      const events = [placedA, placedA, placed(b, 100_001), createEvent("OrderCancelled", { orderId: a, reason: "CUSTOMER_REQUESTED" }, meta()), createEvent("OrderCancelled", { orderId: c, reason: "CUSTOMER_REQUESTED" }, meta()), createEvent("OrderCancelled", { orderId: c, reason: "CUSTOMER_REQUESTED" }, meta())];
      await handle(events.map(incoming));
      const result = async (orderId: string) => ({ payments: (await db.prisma.payment.findMany({ where: { orderId } })).map((p) => [p.status, p.amount]), events: (await outboxOf(orderId)).map((r) => [r.eventType, r.headers]) });
      const strip = (r: Awaited<ReturnType<typeof result>>) => ({ payments: r.payments, events: r.events.map(([t]) => t) });
      return { a: strip(await result(a)), b: strip(await result(b)), c: strip(await result(c)) };
    };
    const oneByOne = await run(async (msgs) => {
      for (const m of msgs) await handleOrderEvent(deps, m);
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
