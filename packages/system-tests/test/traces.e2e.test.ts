// One order as one trace: the four services run as processes exporting their spans over OTLP/HTTP
// to an in-process receiver, and the order placed without a traceparent comes back as a single
// trace with HTTP, Kafka and PostgreSQL spans, each span named by the service that made it.
import { deletePrefixedTopics, createKafkaClient, ensureTopics } from "@orderflow/kafka";
import { pino } from "pino";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  anOrder,
  dropDatabases,
  getJson,
  KAFKA_BROKERS,
  migrateAll,
  poll,
  postJson,
  repoRoot,
  Service,
  TOPIC_PREFIX,
} from "./harness.js";
import { KIND, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.js";

const PORTS = { order: 3121, payment: 3122, shipping: 3123, relay: 3124, provider: 3126 } as const;
const kafka = createKafkaClient({
  brokers: KAFKA_BROKERS.split(","),
  clientId: "system-tests-traces",
  logger: pino({ level: "warn" }),
  topicPrefix: TOPIC_PREFIX,
});
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let services: Service[] = [];
let order: Service;

const versionOf = (app: string) =>
  (JSON.parse(fs.readFileSync(path.join(repoRoot, "apps", app, "package.json"), "utf8")) as { version: string })
    .version;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  migrateAll();
  await ensureTopics(kafka);
  const traced = {
    TRACES_EXPORTER: "otlp",
    OTLP_TRACES_URL: receiver.url,
    DEPLOYMENT_ENVIRONMENT: "e2e",
    // the SDK's batch processor exports every 5 s by default; sooner keeps the test short
    OTEL_BSP_SCHEDULE_DELAY: "200",
  };
  const provider = await Service.start("payment-provider", PORTS.provider);
  services = [
    provider,
    await Service.start("outbox-relay", PORTS.relay, traced),
    (order = await Service.start("order", PORTS.order, traced)),
    await Service.start("payment", PORTS.payment, { ...traced, PAYMENT_PROVIDER_URL: provider.url("") }),
    await Service.start("shipping", PORTS.shipping, { ...traced, SHIPPING_DISPATCH_DELAY_MS: "200" }),
  ];
  await Promise.all(services.map((s) => s.ready()));
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await receiver?.close();
  await deletePrefixedTopics(kafka);
  await dropDatabases();
});

const kafkaSpansOf = (id: string, kind: number) =>
  receiver.spans.filter((s) => s.kind === kind && s.attributes["messaging.kafka.message.key"] === id);

describe("traces", () => {
  it("show one order as one trace across order, outbox-relay, payment and shipping", async () => {
    const placed = await postJson(order.url("/orders"), anOrder()); // no traceparent: the order's trace starts here
    expect(placed.status).toBe(202);
    const id = placed.body.orderId as string;
    await vi.waitFor(async () => expect((await getJson(order.url(`/orders/${id}`))).body.status).toBe("SHIPPED"), poll);
    // OrderPlaced, PaymentAuthorized, OrderPaid, ShipmentDispatched, OrderShipped sent; the
    // order service processed the dispatch
    await vi.waitFor(() => {
      expect(kafkaSpansOf(id, KIND.producer), "send spans").toHaveLength(5);
      expect(
        kafkaSpansOf(id, KIND.consumer)
          .filter((s) => s.name.endsWith("shipping-events"))
          .map((s) => s.attributes["messaging.consumer.group.name"]),
      ).toContain("order");
    }, poll);

    const http = receiver.spans.filter((s) => s.name === "POST /orders");
    expect(http).toHaveLength(1);
    const traceId = http[0]!.traceId;
    expect(http[0]!.parentSpanId).toBeUndefined();
    expect(http[0]!).toMatchObject({
      kind: KIND.server,
      attributes: { "http.request.method": "POST", "http.route": "/orders", "http.response.status_code": 202 },
    });
    const trace = receiver.spans.filter((s) => s.traceId === traceId);
    // every span about the order is in that one trace
    for (const s of [...kafkaSpansOf(id, KIND.producer), ...kafkaSpansOf(id, KIND.consumer)])
      expect(s.traceId, `${s.name} (${s.resource["service.name"]})`).toBe(traceId);
    // and each names the service that made it, with its version and environment
    const byService = new Map<string, ReceivedSpan[]>();
    for (const s of trace)
      byService.set(String(s.resource["service.name"]), [
        ...(byService.get(String(s.resource["service.name"])) ?? []),
        s,
      ]);
    expect([...byService.keys()].sort()).toEqual(["order", "outbox-relay", "payment", "shipping"]);
    for (const [service, spans] of byService)
      for (const s of spans)
        expect(s.resource, s.name).toMatchObject({
          "service.version": versionOf(service),
          "deployment.environment": "e2e",
        });

    // Kafka spans by the messaging conventions
    const sent = trace.find((s) => s.name === "send order-events" && s.parentSpanId === http[0]!.spanId)!;
    expect(sent, "OrderPlaced's send, child of the POST").toBeDefined();
    expect(sent.resource["service.name"]).toBe("outbox-relay");
    expect(sent.attributes).toMatchObject({
      "messaging.system": "kafka",
      "messaging.destination.name": "order-events",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.kafka.message.key": id,
      "messaging.destination.partition.id": expect.stringMatching(/^[0-5]$/),
      "messaging.kafka.offset": expect.any(Number),
    });
    const processed = trace.find(
      (s) =>
        s.name === "process order-events" && s.parentSpanId === sent.spanId && s.resource["service.name"] === "payment",
    )!;
    expect(processed, "payment processing OrderPlaced, child of its send").toBeDefined();
    expect(processed).toMatchObject({
      kind: KIND.consumer,
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": "order-events",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.consumer.group.name": "payment",
        "messaging.kafka.message.key": id,
        "messaging.destination.partition.id": sent.attributes["messaging.destination.partition.id"],
        "messaging.kafka.offset": sent.attributes["messaging.kafka.offset"],
      },
    });
    expect(trace.some((s) => s.name === "send payment-events" && s.parentSpanId === processed.spanId)).toBe(true);

    // PostgreSQL spans from the pg instrumentation (the stable database conventions' db.system.name),
    // children of the HTTP and consumer spans
    const db = trace.filter((s) => s.attributes["db.system.name"] === "postgresql");
    expect(
      db.some((s) => s.kind === KIND.client && s.parentSpanId === http[0]!.spanId),
      "the POST's queries",
    ).toBe(true);
    expect(
      db.some((s) => s.parentSpanId === processed.spanId),
      "payment's queries",
    ).toBe(true);
    // no span of the trace failed, and none is named by a raw id
    expect(trace.filter((s) => s.statusCode === 2).map((s) => s.name)).toEqual([]);
    expect(trace.filter((s) => s.name.includes(id)).map((s) => s.name)).toEqual([]);
  });
});
