import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { startServerSpan } from "./http-tracing.js";
import { consumerTracing, traceSends } from "./messaging-tracing.js";
import { initTracing, serviceResource } from "./tracing.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const incoming = `00-${traceId}-00f067aa0ba902b7-01`;
const exporter = new InMemorySpanExporter();
const tracing = initTracing({
  service: "order",
  version: "1.2.3",
  environment: "staging",
  exporter: "none",
  spanExporter: exporter,
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

const spanNamed = (name: string): ReadableSpan => {
  const s = exporter.getFinishedSpans().find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}: ${exporter.getFinishedSpans().map((x) => x.name)}`);
  return s;
};
const request = (method: string, path: string) => ({
  method,
  path,
  scheme: "http",
  httpVersion: "1.1",
  traceparent: incoming,
});

describe("the service's resource", () => {
  it("names the service, its version and its deployment environment on every span", () => {
    startServerSpan(request("GET", "/x")).end(undefined, 200);
    const attrs = exporter.getFinishedSpans()[0]!.resource.attributes;
    expect(attrs).toMatchObject({
      "service.name": "order",
      "service.version": "1.2.3",
      "deployment.environment": "staging",
      "deployment.environment.name": "staging",
    });
    expect(serviceResource({ service: "a", version: "0", environment: "local" }).attributes["service.name"]).toBe("a");
  });
});

describe("HTTP server spans", () => {
  it("are named by method and route, never by the raw path, as children of the caller's trace", () => {
    const span = startServerSpan(request("GET", "/orders/0193a1b2-0000-7000-8000-000000000001"));
    span.end("/orders/:id", 200);
    const s = spanNamed("GET /orders/:id");
    expect(s.kind).toBe(SpanKind.SERVER);
    expect(s.spanContext().traceId).toBe(traceId);
    expect(s.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(span.traceparent).toBe(`00-${traceId}-${s.spanContext().spanId}-01`);
    expect(s.attributes).toMatchObject({
      "http.request.method": "GET",
      "http.route": "/orders/:id",
      "http.response.status_code": 200,
      "url.path": "/orders/0193a1b2-0000-7000-8000-000000000001",
    });
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("fail on a 5xx and not on a 4xx; a request no route matched is named by its method alone", () => {
    startServerSpan(request("POST", "/orders")).end("/orders", 503);
    startServerSpan(request("GET", "/nowhere/42")).end(undefined, 404);
    expect(spanNamed("POST /orders").status.code).toBe(SpanStatusCode.ERROR);
    expect(spanNamed("POST /orders").attributes["error.type"]).toBe("503");
    expect(spanNamed("GET").status.code).toBe(SpanStatusCode.UNSET);
    expect(spanNamed("GET").attributes["http.route"]).toBeUndefined();
  });

  it("make the span active for what the request runs", () => {
    const span = startServerSpan(request("GET", "/x"));
    let active: string | undefined;
    span.run(() => (active = trace.getSpan(context.active())?.spanContext().spanId));
    span.end("/x", 200);
    expect(active).toBe(spanNamed("GET /x").spanContext().spanId);
  });
});

describe("Kafka spans", () => {
  it("send: a producer span per record, child of its row's trace, its context in the record's headers", () => {
    const records = [
      { topic: "order-events", key: "order-1", value: "{}", headers: { traceparent: incoming, "event-id": "e1" } },
      { topic: "order-events", key: "order-2", value: "{}", headers: {} },
    ];
    const send = traceSends(records);
    send.sent([{ partition: 3, offset: "41" }, undefined]);
    const [first, second] = exporter.getFinishedSpans();
    expect(first!.name).toBe("send order-events");
    expect(first!.kind).toBe(SpanKind.PRODUCER);
    expect(first!.spanContext().traceId).toBe(traceId);
    expect(first!.attributes).toEqual({
      "messaging.system": "kafka",
      "messaging.system.name": "kafka",
      "messaging.destination.name": "order-events",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.kafka.message.key": "order-1",
      "kafka.message.key": "order-1",
      "messaging.message.id": "e1",
      "messaging.destination.partition.id": "3",
      "messaging.kafka.offset": 41,
      "kafka.offset": 41,
    });
    expect(send.records[0]!.headers).toEqual({
      traceparent: `00-${traceId}-${first!.spanContext().spanId}-01`,
      "event-id": "e1",
    });
    expect(records[0]!.headers.traceparent).toBe(incoming); // the row's own headers are left as they were
    expect(second!.spanContext().traceId).not.toBe(traceId); // no traceparent: a trace of its own
  });

  it("a failed send fails every record's span", () => {
    traceSends([{ topic: "order-events", key: "k", headers: {} }]).failed(new Error("broker away"));
    expect(spanNamed("send order-events").status).toMatchObject({ code: SpanStatusCode.ERROR, message: "broker away" });
  });

  it("process: a consumer span per record with its group, partition and offset; the handler hands its context on", async () => {
    const headers: Record<string, string> = { traceparent: incoming };
    let seen: string | undefined;
    let active: string | undefined;
    await consumerTracing.around(
      { group: "payment", records: [{ topic: "order-events", key: "order-1", partition: 2, offset: "7", headers }] },
      async () => {
        seen = headers.traceparent;
        active = trace.getSpan(context.active())?.spanContext().spanId;
      },
    );
    const s = spanNamed("process order-events");
    expect(s.kind).toBe(SpanKind.CONSUMER);
    expect(s.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(s.attributes).toMatchObject({
      "messaging.system": "kafka",
      "messaging.destination.name": "order-events",
      "messaging.operation.type": "process",
      "messaging.consumer.group.name": "payment",
      "messaging.destination.partition.id": "2",
      "messaging.kafka.offset": 7,
      "messaging.kafka.message.key": "order-1",
    });
    expect(seen).toBe(`00-${traceId}-${s.spanContext().spanId}-01`);
    expect(active).toBe(s.spanContext().spanId);
  });

  it("a record handled again (a run after an outage) is processed as a child of its send again", async () => {
    const headers: Record<string, string> = { traceparent: incoming };
    const record = { topic: "order-events", key: "order-1", partition: 0, offset: "3", headers };
    await expect(
      consumerTracing.around({ group: "payment", records: [record] }, async () => {
        throw new Error("database away");
      }),
    ).rejects.toThrow();
    await consumerTracing.around({ group: "payment", records: [record] }, async () => {});
    expect(exporter.getFinishedSpans().map((s) => s.parentSpanContext?.spanId)).toEqual([
      "00f067aa0ba902b7",
      "00f067aa0ba902b7",
    ]);
  });

  it("a run of records gets a span each, in each record's own trace, all failed when the run fails", async () => {
    const other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const records = [incoming, other].map((traceparent, i) => ({
      topic: "payment-events",
      key: `order-${i}`,
      partition: 0,
      offset: String(i),
      headers: { traceparent },
    }));
    await expect(
      consumerTracing.around({ group: "order", records }, async () => {
        throw new Error("database away");
      }),
    ).rejects.toThrow("database away");
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.spanContext().traceId)).toEqual([traceId, "0af7651916cd43dd8448eb211c80319c"]);
    expect(spans.every((s) => s.status.code === SpanStatusCode.ERROR)).toBe(true);
    expect(records.map((r) => r.headers.traceparent.split("-")[2])).toEqual(spans.map((s) => s.spanContext().spanId));
  });
});
