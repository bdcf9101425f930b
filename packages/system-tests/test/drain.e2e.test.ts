// The drain on shutdown, on the built services as separate processes: after SIGTERM the order
// service says it is not ready while it still takes orders, then closes and exits 0; a second
// signal ends a drain at once.
import { createKafkaClient, deletePrefixedTopics, ensureTopics } from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { anOrder, dropDatabases, KAFKA_BROKERS, migrateAll, poll, postJson, Service, TOPIC_PREFIX } from "./harness.js";

const PORTS = { order: 3131, provider: 3136 } as const;
const DRAIN_MS = 6000;
const started: Service[] = [];
const kafka = createKafkaClient({
  brokers: KAFKA_BROKERS.split(","),
  clientId: "system-tests",
  logger: pino({ level: "warn" }),
  topicPrefix: TOPIC_PREFIX,
});

async function start(...args: Parameters<typeof Service.start>): Promise<Service> {
  const s = await Service.start(...args);
  started.push(s);
  return s.ready();
}

const messages = (s: Service) => s.lines.map((l) => l.msg);

beforeAll(async () => {
  migrateAll();
  await ensureTopics(kafka);
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop("SIGKILL")));
  await deletePrefixedTopics(kafka);
  await dropDatabases();
});

describe("the drain on shutdown", () => {
  it("order: after SIGTERM /readyz answers 503 while POST /orders is still answered 202, then the service closes and exits 0", async () => {
    const order = await start("order", PORTS.order, { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) });
    expect((await postJson(order.url("/orders"), anOrder())).status).toBe(202);

    order.proc.kill("SIGTERM");
    await vi.waitFor(async () => {
      const r = await fetch(order.url("/readyz"));
      expect({ status: r.status, body: await r.json() }).toEqual({
        status: 503,
        body: { status: "draining", checks: {} },
      });
    }, poll);
    // still alive and still taking orders
    expect((await fetch(order.url("/healthz"))).status).toBe(200);
    const during = await postJson(order.url("/orders"), anOrder({ customerId: "placed-while-draining" }));
    expect(during.status).toBe(202);
    expect(during.body.orderId).toEqual(expect.any(String));
    expect(messages(order), "the drain is not over yet").not.toContain(
      "closing the server: no new connections, waiting for requests in flight",
    );

    expect(await order.waitExit()).toBe(0);
    expect(order.find({ msg: "shutting down" })).toMatchObject([{ signal: "SIGTERM", drainMs: DRAIN_MS }]);
    const sequence = [
      "shutting down",
      "draining: /readyz answers 503, requests are still served",
      "closing the server: no new connections, waiting for requests in flight",
      "stopped",
    ];
    expect(messages(order).filter((m) => sequence.includes(m))).toEqual(sequence);
    await expect(fetch(order.url("/healthz"))).rejects.toThrow();
  });

  it("payment-provider: a second signal during the drain exits at once", async () => {
    const provider = await start("payment-provider", PORTS.provider, { SHUTDOWN_DRAIN_MS: "600000" });
    provider.proc.kill("SIGTERM");
    await vi.waitFor(
      () => expect(messages(provider)).toContain("draining: /readyz answers 503, requests are still served"),
      poll,
    );
    provider.proc.kill("SIGTERM");
    expect(await provider.waitExit()).toBe(143);
    expect(provider.find({ msg: "second signal: exiting at once" })).toHaveLength(1);
  });
});
