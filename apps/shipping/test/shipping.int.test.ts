// Shipping's reaction to order events and the dispatcher, in-process on a real, migrated database.
import { createEvent } from "@orderflow/contracts";
import { eventMeta } from "@orderflow/db-kit";
import { type IncomingEvent, incomingRecord } from "@orderflow/kafka";
import { pino } from "pino";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ShippingDeps } from "../src/commands/deps.js";
import { dispatchDue, startDispatcher } from "../src/commands/dispatch-due.js";
import { handleOrderEvents } from "../src/commands/handle-order-event.js";
import { createDb, type Db } from "../src/db/client.js";
import { carrierFor } from "../src/domain/shipment.js";
import { freshDatabase } from "./support.js";

let db: Db;
let drop: () => Promise<void>;
let deps: ShippingDeps;

beforeAll(async () => {
  const fresh = await freshDatabase("shipping_int");
  drop = fresh.drop;
  db = createDb(fresh.url, 4);
  // a shipment is due at once unless a test moves its dispatch_after
  deps = { db, clock: () => new Date(), newId: uuidv7, log: pino({ level: "silent" }), dispatchDelayMs: 0 };
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

const meta = () => eventMeta({ id: uuidv7(), correlationId: "corr-s" });
const address = { name: "Ada", line1: "1 Main St", city: "Vienna", postalCode: "1010", country: "AT" };
const paid = (orderId: string) =>
  createEvent(
    "OrderPaid",
    { orderId, paymentId: uuidv7(), amount: 100, currency: "EUR", shippingAddress: address },
    meta(),
  );
const cancelled = (orderId: string) => createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta());
const outboxTypes = async (orderId: string) =>
  (await db.prisma.outboxMessage.findMany({ where: { aggregateId: orderId }, orderBy: { id: "asc" } })).map(
    (r) => r.eventType,
  );

describe("shipping", () => {
  it("creates one pending shipment per paid order and the dispatcher ships it", async () => {
    const orderId = uuidv7();
    const event = paid(orderId);
    await handleOrderEvents(deps, [incomingRecord(event)]);
    await handleOrderEvents(deps, [incomingRecord(event)]); // redelivery
    expect(await db.prisma.shipment.findMany({ where: { orderId } })).toMatchObject([
      { status: "PENDING", country: "AT" },
    ]);
    expect(await dispatchDue(deps)).toBeGreaterThanOrEqual(1);
    const [s] = await db.prisma.shipment.findMany({ where: { orderId } });
    expect(s).toMatchObject({ status: "DISPATCHED", carrier: "DHL" });
    expect(await outboxTypes(orderId)).toEqual(["ShipmentDispatched"]);
    const [row] = await db.prisma.outboxMessage.findMany({ where: { aggregateId: orderId } });
    // the dispatcher's event continues the saga's correlation, caused by OrderPaid
    expect(row!.headers).toMatchObject({ "correlation-id": "corr-s", "causation-id": event.id });
  });

  it("a dispatch round of several shipments gives each its own state, carrier and event in its own saga", async () => {
    const orders = [uuidv7(), uuidv7(), uuidv7()];
    const sources = orders.map((o, i) =>
      createEvent(
        "OrderPaid",
        {
          orderId: o,
          paymentId: uuidv7(),
          amount: 100,
          currency: "EUR",
          shippingAddress: { ...address, country: ["AT", "US", "DE"][i]! },
        },
        { ...meta(), correlationId: `corr-${i}` },
      ),
    );
    await handleOrderEvents(
      deps,
      sources.map((e) => incomingRecord(e)),
    );
    expect(await dispatchDue(deps)).toBeGreaterThanOrEqual(3);
    for (const [i, orderId] of orders.entries()) {
      const [s] = await db.prisma.shipment.findMany({ where: { orderId } });
      expect(s).toMatchObject({ status: "DISPATCHED", carrier: carrierFor(["AT", "US", "DE"][i]!) });
      const rows = await db.prisma.outboxMessage.findMany({ where: { aggregateId: orderId } });
      expect(
        rows.map((r) => [
          r.eventType,
          (r.payload as { data: { trackingNumber: string } }).data.trackingNumber,
          (r.headers as Record<string, string>)["correlation-id"],
        ]),
      ).toEqual([["ShipmentDispatched", s!.trackingNumber, `corr-${i}`]]);
    }
  });

  it("dispatches a new shipment when it falls due, not at the dispatcher's next poll", async () => {
    const dispatcher = startDispatcher(deps, 3_600_000); // its first round runs now, the next in an hour
    const wokenDeps: ShippingDeps = { ...deps, dispatchDelayMs: 300, onShipmentsDue: (at) => dispatcher.dueAt(at) };
    try {
      const orderId = uuidv7();
      await handleOrderEvents(wokenDeps, [incomingRecord(paid(orderId))]);
      const shipped = async () => (await db.prisma.shipment.findMany({ where: { orderId } }))[0];
      expect(await shipped()).toMatchObject({ status: "PENDING" });
      const s = await vi.waitFor(
        async () => {
          const now = await shipped();
          expect(now?.status).toBe("DISPATCHED");
          return now;
        },
        { timeout: 10_000, interval: 20 },
      );
      // not before it was due
      expect(s!.updatedAt.getTime() - s!.createdAt.getTime()).toBeGreaterThanOrEqual(250);
    } finally {
      await dispatcher.stop();
    }
  });

  it("cancels a pending shipment when the order is cancelled; the dispatcher then leaves it", async () => {
    const orderId = uuidv7();
    await handleOrderEvents({ ...deps, dispatchDelayMs: 60_000 }, [incomingRecord(paid(orderId))]);
    await handleOrderEvents(deps, [incomingRecord(cancelled(orderId))]);
    await dispatchDue(deps);
    expect(await db.prisma.shipment.findMany({ where: { orderId } })).toMatchObject([
      { status: "CANCELLED", cancelReason: "order cancelled: CUSTOMER_REQUESTED" },
    ]);
    expect(await outboxTypes(orderId)).toEqual(["ShipmentCancelled"]);
  });

  it("does not cancel a shipment that was already dispatched", async () => {
    const orderId = uuidv7();
    await handleOrderEvents(deps, [incomingRecord(paid(orderId))]);
    await dispatchDue(deps);
    await handleOrderEvents(deps, [incomingRecord(cancelled(orderId))]);
    expect(await db.prisma.shipment.findMany({ where: { orderId } })).toMatchObject([{ status: "DISPATCHED" }]);
    expect(await outboxTypes(orderId)).toEqual(["ShipmentDispatched"]);
  });

  it("a run in one transaction ends where the same events one by one would: same shipments, same events, duplicates dropped", async () => {
    const slow = { ...deps, dispatchDelayMs: 60_000 };
    const run = async (handle: (msgs: IncomingEvent[]) => Promise<void>) => {
      const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
      await handleOrderEvents(slow, [incomingRecord(paid(c))]); // pending before the run
      const paidA = paid(a);
      await handle([paidA, paidA, paid(b), cancelled(a), cancelled(c), cancelled(c)].map((e) => incomingRecord(e)));
      const result = async (orderId: string) => ({
        shipments: (await db.prisma.shipment.findMany({ where: { orderId } })).map((s) => [
          s.status,
          s.country,
          s.cancelReason,
        ]),
        events: await outboxTypes(orderId),
      });
      return { a: await result(a), b: await result(b), c: await result(c) };
    };
    const oneByOne = await run(async (msgs) => {
      for (const m of msgs) await handleOrderEvents(slow, [m]);
    });
    const asRun = await run((msgs) => handleOrderEvents(slow, msgs));
    expect(asRun).toEqual(oneByOne);
    expect(asRun).toEqual({
      a: { shipments: [["CANCELLED", "AT", "order cancelled: CUSTOMER_REQUESTED"]], events: ["ShipmentCancelled"] },
      b: { shipments: [["PENDING", "AT", null]], events: [] },
      c: { shipments: [["CANCELLED", "AT", "order cancelled: CUSTOMER_REQUESTED"]], events: ["ShipmentCancelled"] },
    });
  });
});
