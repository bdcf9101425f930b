import express from "express";
import { pino } from "pino";
import request from "supertest";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { correlation } from "./http.js";
import { consumerTracing, initTracing } from "@orderflow/observability";

const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const traceId = (tp: string | undefined) => tp?.split("-")[1];

describe("tracing on", () => {
  it("makes HTTP → consumer one trace of parent and child spans, handing on each span's context", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = initTracing({ service: "test", exporter: "none", spanExporter: exporter });
    let seen: string | undefined;
    const app = express()
      .use(correlation(pino({ level: "silent" })))
      .get("/x", (req, res) => {
        seen = req.traceparent;
        res.json({});
      });
    await request(app).get("/x").set("traceparent", incoming);
    expect(traceId(seen)).toBe(traceId(incoming));
    expect(seen).not.toBe(incoming); // the server span's own context

    const headers: Record<string, string> = { traceparent: seen! };
    let inHandler: string | undefined;
    await consumerTracing.around({ group: "payment", topic: "order-events", headers }, async () => {
      inHandler = headers.traceparent;
    });
    expect(traceId(inHandler)).toBe(traceId(incoming));
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown();
    const server = spans.find((s) => s.name === "GET /x")!;
    const consumer = spans.find((s) => s.name === "order-events process")!;
    expect(server.spanContext().traceId).toBe(traceId(incoming));
    expect(consumer.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(seen!.split("-")[2]).toBe(server.spanContext().spanId);
  });
});
