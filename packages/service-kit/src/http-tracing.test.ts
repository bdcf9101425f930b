import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { pino } from "pino";
import request from "supertest";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createServiceApp } from "./app.js";
import { consumerTracing, createMetrics, initTracing } from "@orderflow/observability";

const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const traceId = (tp: string | undefined) => tp?.split("-")[1];
const exporter = new InMemorySpanExporter();
const tracing = initTracing({
  service: "test",
  version: "0.0.0",
  environment: "test",
  exporter: "none",
  spanExporter: exporter,
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

const log = pino({ level: "silent" });
let seen: { traceparent?: string | undefined; activeSpanId?: string | undefined } = {};
const app = createServiceApp({ log, registry: createMetrics("test").registry, readiness: [] }, (a) => {
  const orders = express.Router();
  orders.get("/:id", (req, res) => {
    seen = { traceparent: req.traceparent };
    res.json({ id: req.params.id });
  });
  a.use("/orders", orders);
  a.post("/orders", async (req, res) => {
    seen = { traceparent: req.traceparent, activeSpanId: trace.getSpan(context.active())?.spanContext().spanId };
    res.status(202).json(req.body);
  });
  a.get("/boom", () => {
    throw new Error("bug");
  });
});
const spans = () => exporter.getFinishedSpans();

describe("HTTP server spans", () => {
  it("are named by method and route, without the raw id, and hand on their own context", async () => {
    await request(app).get("/orders/0193a1b2-aaaa-7000-8000-000000000001").set("traceparent", incoming).expect(200);
    const [span] = spans();
    expect(span!.name).toBe("GET /orders/:id");
    expect(span!.attributes).toMatchObject({ "http.route": "/orders/:id", "http.response.status_code": 200 });
    expect(span!.spanContext().traceId).toBe(traceId(incoming));
    expect(seen.traceparent).toBe(`00-${traceId(incoming)}-${span!.spanContext().spanId}-01`);
  });

  it("keep the span active in the handler, past a body that arrives later, so its queries are children", async () => {
    const server = app.listen(0);
    try {
      await once(server, "listening");
      const arrived = once(server, "request");
      const req = http.request({
        port: (server.address() as AddressInfo).port,
        method: "POST",
        path: "/orders",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.write('{"a":');
      await arrived; // the rest of the body comes from the socket, after the middleware ran
      req.end("1}");
      const [res] = (await once(req, "response")) as [http.IncomingMessage];
      res.resume();
      expect(res.statusCode).toBe(202);
    } finally {
      server.close();
    }
    const [span] = spans();
    expect(span!.name).toBe("POST /orders");
    expect(seen.activeSpanId).toBe(span!.spanContext().spanId);
  });

  it("fail on a 5xx; an unmatched request is named by its method alone", async () => {
    await request(app).get("/boom").expect(500);
    await request(app).get("/nowhere/42").expect(404);
    expect(spans().map((s) => [s.name, s.status.code])).toEqual([
      ["GET /boom", SpanStatusCode.ERROR],
      ["GET", SpanStatusCode.UNSET],
    ]);
  });

  it("leave out the probes and the metrics scrape", async () => {
    await request(app).get("/healthz").expect(200);
    await request(app).get("/readyz").expect(200);
    await request(app).get("/metrics").expect(200);
    expect(spans()).toEqual([]);
  });

  it("make HTTP → consumer one trace of parent and child spans", async () => {
    await request(app).get("/orders/1").set("traceparent", incoming);
    const headers: Record<string, string> = { traceparent: seen.traceparent! };
    let inHandler: string | undefined;
    const record = { topic: "order-events", key: "1", partition: 0, offset: "5", headers };
    await consumerTracing.around({ group: "payment", records: [record] }, async () => {
      inHandler = headers.traceparent;
    });
    const server = spans().find((s) => s.name === "GET /orders/:id")!;
    const consumer = spans().find((s) => s.name === "process order-events")!;
    expect(consumer.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(traceId(inHandler)).toBe(traceId(incoming));
  });
});
