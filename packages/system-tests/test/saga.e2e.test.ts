// The whole saga across four separately started services, on the real broker and databases.
import { caughtUp, createKafkaClient, createPublisher, consumerGroupLag, deletePrefixedTopics, ensureTopics, recordForEvent, type Publisher } from "@orderflow/kafka";
import type { OrderflowEvent } from "@orderflow/contracts";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { anOrder, DATABASES, dropDatabases, getJson, KAFKA_BROKERS, migrateAll, postJson, Service, TOPIC_PREFIX, waitFor } from "./harness.js";

const PORTS = { order: 3101, payment: 3102, shipping: 3103, relay: 3104 } as const;
let order: Service, payment: Service, shipping: Service, relay: Service;
let publisher: Publisher;
const kafka = createKafkaClient({ brokers: KAFKA_BROKERS.split(","), clientId: "system-tests", logger: pino({ level: "warn" }), topicPrefix: TOPIC_PREFIX });

async function place(body = anOrder(), headers: Record<string, string> = {}): Promise<string> {
  const r = await postJson(order.url("/orders"), body, headers);
  expect(r.status).toBe(202);
  expect(r.headers.get("location")).toBe(`/orders/${r.body.orderId}`);
  return r.body.orderId as string;
}

async function orderReaches(id: string, status: string, timeoutMs = 30_000) {
  return waitFor(`order ${id} to be ${status}`, async () => {
    const r = await getJson(order.url(`/orders/${id}`));
    return r.status === 200 && r.body.status === status ? r.body : undefined;
  }, timeoutMs);
}

const paymentsOf = async (id: string) => (await getJson(payment.url(`/payments?orderId=${id}`))).body.payments as any[];
const shipmentsOf = async (id: string) => (await getJson(shipping.url(`/shipments?orderId=${id}`))).body.shipments as any[];
const eventsOf = async (id: string) => (await getJson(order.url(`/orders/${id}/events`))).body.events as OrderflowEvent[];

/** all of the group's committed offsets caught up with the log end */
const caughtUpGroup = (group: string) => waitFor(`group ${group} to catch up`, async () => caughtUp(await consumerGroupLag(kafka, group)));

beforeAll(async () => {
  migrateAll();
  await ensureTopics(kafka);
  [relay, order, payment, shipping] = await Promise.all([
    Service.start("outbox-relay", PORTS.relay),
    Service.start("order", PORTS.order),
    Service.start("payment", PORTS.payment),
    Service.start("shipping", PORTS.shipping, { SHIPPING_DISPATCH_DELAY_MS: "1500" }),
  ]);
  await Promise.all([relay.ready(), order.ready(), payment.ready(), shipping.ready()]);
  publisher = createPublisher(kafka);
  await publisher.connect();
});

afterAll(async () => {
  await publisher?.disconnect();
  await Promise.all([order, payment, shipping, relay].filter(Boolean).map((s) => s.stop()));
  await deletePrefixedTopics(kafka);
  await dropDatabases();
});

describe("the order saga", () => {
  it("ships a paid order with exactly one payment and one shipment", async () => {
    const id = await place(anOrder(), { "correlation-id": "e2e-happy-path" });
    const shipped = await orderReaches(id, "SHIPPED");
    expect(shipped).toMatchObject({ totalAmount: 3000, currency: "EUR", shipment: { carrier: "DHL" } });

    const payments = await paymentsOf(id);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: "AUTHORIZED", amount: 3000 });
    const shipments = await shipmentsOf(id);
    expect(shipments).toHaveLength(1);
    expect(shipments[0]).toMatchObject({ status: "DISPATCHED", carrier: "DHL", trackingNumber: shipped.shipment.trackingNumber });

    const events = await eventsOf(id);
    expect(events.map((e) => e.type)).toEqual(["OrderPlaced", "OrderPaid", "OrderShipped"]);
    // one correlation id from the HTTP request through every service's events
    expect(new Set(events.map((e) => e.correlationId))).toEqual(new Set(["e2e-happy-path"]));
    for (const svc of [order, payment, shipping]) expect(svc.find({ correlationId: "e2e-happy-path" }).length).toBeGreaterThan(0);
  });

  it("cancels an order whose payment is declined, with the reason", async () => {
    const id = await place(anOrder({ unitPrice: 75_000 })); // 2 × 750.00 + 5.00 > the 1000.00 limit
    const cancelled = await orderReaches(id, "CANCELLED");
    expect(cancelled.cancellation).toMatchObject({ reason: "PAYMENT_DECLINED" });
    expect(cancelled.cancellation.detail).toMatch(/exceeds the simulated limit/);
    expect(await paymentsOf(id)).toMatchObject([{ status: "DECLINED" }]);
    await caughtUpGroup("shipping");
    expect(await shipmentsOf(id)).toEqual([]);
  });

  it("cancelling before dispatch refunds the payment and cancels the shipment", async () => {
    const id = await place();
    await orderReaches(id, "PAID");
    await waitFor("a pending shipment", async () => (await shipmentsOf(id))[0]?.status === "PENDING");
    const r = await postJson(order.url(`/orders/${id}/cancel`), { detail: "changed my mind" });
    expect(r.status).toBe(202);
    const cancelled = await orderReaches(id, "CANCELLED");
    expect(cancelled.cancellation).toEqual({ reason: "CUSTOMER_REQUESTED", detail: "changed my mind" });
    await waitFor("the refund", async () => (await paymentsOf(id))[0]?.status === "REFUNDED");
    await waitFor("the shipment to be cancelled", async () => (await shipmentsOf(id))[0]?.status === "CANCELLED");
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(["OrderPlaced", "OrderPaid", "OrderCancelled"]);
  });

  it("refuses to cancel a shipped order with a 409 problem", async () => {
    const id = await place();
    await orderReaches(id, "SHIPPED");
    const r = await postJson(order.url(`/orders/${id}/cancel`), {});
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ status: 409, code: "ORDER_ALREADY_SHIPPED" });
  });

  it("ignores a re-delivered event (inbox): publishing it twice changes nothing", async () => {
    const id = await place();
    await orderReaches(id, "SHIPPED");
    const [placed, paid] = await eventsOf(id);
    await publisher.send([recordForEvent(placed!), recordForEvent(paid!)]);
    await Promise.all([caughtUpGroup("payment"), caughtUpGroup("shipping")]);
    await waitFor("payment to skip the duplicate", () => payment.find({ msg: "duplicate event ignored", eventId: placed!.id }).length === 1);
    await waitFor("shipping to skip the duplicate", () => shipping.find({ msg: "duplicate event ignored", eventId: paid!.id }).length === 1);
    expect(await paymentsOf(id)).toHaveLength(1);
    expect(await shipmentsOf(id)).toHaveLength(1);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(["OrderPlaced", "OrderPaid", "OrderShipped"]);
  });

  it("a relay killed between publish and mark re-publishes; consumers ignore the duplicate", async () => {
    expect(await relay.stop()).toBe(0);
    const crashing = await Service.start("outbox-relay", PORTS.relay, { RELAY_FAILPOINT: "crash-after-publish" });
    const id = await place();
    expect(await crashing.waitExit()).toBe(86); // published OrderPlaced, died before marking it
    const [placed] = await eventsOf(id);
    relay = await Service.start("outbox-relay", PORTS.relay);
    await relay.ready();
    await orderReaches(id, "SHIPPED");
    await caughtUpGroup("payment");
    await waitFor("payment to see the duplicate", () => payment.find({ msg: "duplicate event ignored", eventId: placed!.id }).length === 1);
    expect(await paymentsOf(id)).toHaveLength(1);
    expect(await shipmentsOf(id)).toHaveLength(1);
  });
});

describe("the read model", () => {
  it("survives the order service being killed mid-projection: nothing lost, nothing twice", async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => place(anOrder({ customerId: "burst" }))));
    const before = order.lines.length;
    await waitFor("the projection to be busy with the burst", () => order.lines.slice(before).some((l) => l.msg === "projected"));
    await order.stop("SIGKILL");
    order = await Service.start("order", PORTS.order);
    await order.ready();
    for (const id of ids) {
      const v = await orderReaches(id, "SHIPPED", 60_000);
      expect(v.readModel.source).toBe("projection");
      const types = v.timeline.map((t: { type: string }) => t.type).sort();
      expect(types).toEqual(["OrderPaid", "OrderPlaced", "OrderShipped", "PaymentAuthorized", "ShipmentDispatched"]);
      expect(new Set(v.timeline.map((t: { eventId: string }) => t.eventId)).size).toBe(5);
    }
    const page = await getJson(order.url("/orders?customerId=burst&limit=20"));
    expect(page.body.orders).toHaveLength(20);
    const next = await getJson(order.url(`/orders?customerId=burst&limit=20&cursor=${page.body.nextCursor}`));
    expect([...page.body.orders, ...next.body.orders].map((o: { orderId: string }) => o.orderId).sort()).toEqual([...ids].sort());
  });

  it("a replay rebuilds the same view, row for row, and switches to it without downtime", async () => {
    const before = (await getJson(order.url("/admin/projection"))).body.live as number;
    const r = await postJson(order.url("/admin/projection/replay"), {});
    expect(r.status).toBe(202);
    const generation = r.body.generation as number;
    // the API keeps answering from the live generation while the new one builds
    while ((await getJson(order.url("/admin/projection"))).body.live !== generation) {
      const probe = await getJson(order.url("/orders?limit=1"));
      expect(probe.status).toBe(200);
      await new Promise((res) => setTimeout(res, 100));
    }
    const db = new pg.Client({ connectionString: DATABASES.order });
    await db.connect();
    try {
      const rows = async (g: number) => (await db.query(`SELECT order_id, customer_id, status, doc FROM order_views WHERE generation = $1 ORDER BY order_id`, [g])).rows;
      const [old, rebuilt] = [await rows(before), await rows(generation)];
      expect(old.length).toBeGreaterThan(30);
      expect(rebuilt).toEqual(old);
    } finally {
      await db.end();
    }
    const rebuilt = await getJson(order.url(`/orders/${(await getJson(order.url("/orders?limit=1"))).body.orders[0].orderId}/rebuild`));
    expect(rebuilt.body).toMatchObject({ matches: true, differences: [] });
  });
});
