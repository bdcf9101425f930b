import express from "express";
import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createEvent } from "@orderflow/contracts";
import { healthRouter } from "./health.js";
import { correlation, HttpProblem, httpMetrics, notFound, problemHandler, requestLogger } from "./http.js";
import { createMetrics } from "@orderflow/observability";

const log = pino({ level: "silent" });

function app(opts: { checks?: Parameters<typeof healthRouter>[0]["checks"] } = {}) {
  const metrics = createMetrics("test");
  const a = express();
  a.use(correlation(log), requestLogger(log), httpMetrics(metrics.registry), express.json());
  a.use(healthRouter({ checks: opts.checks ?? [], registry: metrics.registry }));
  a.post("/zod", () => {
    throw Object.assign(new Error("invalid"), {
      name: "ZodError",
      issues: [
        { path: ["items", 0, "quantity"], message: "Too small: expected number to be >0", code: "too_small" },
        { path: [], message: "Unrecognized key", code: "unrecognized_keys", keys: ["coupon"] },
      ],
    });
  });
  a.get("/teapot", () => {
    throw new HttpProblem(418, "I'm a teapot", "short and stout", { code: "TEAPOT" });
  });
  a.get("/boom", () => {
    throw new Error("secret internals");
  });
  a.post("/event", () => {
    // what a use case throws when the event it would write breaks its contract
    createEvent(
      "OrderCancelled",
      { orderId: "0193a5b0-0000-7000-8000-000000000001", reason: "CUSTOMER_REQUESTED", detail: "x".repeat(501) },
      {
        id: "0193a5b0-0000-7000-8000-0000000000e1",
        occurredAt: new Date().toISOString(),
        correlationId: "c",
        causationId: null,
        source: "test",
      },
    );
  });
  a.get("/cid", (req, res) => void res.json({ correlationId: req.correlationId }));
  a.use(notFound(), problemHandler(log));
  return a;
}

describe("problem+json", () => {
  it("answers a request whose event would break its contract with 400 naming the field", async () => {
    const r = await request(app()).post("/event").send({});
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      event: "OrderCancelled",
      errors: [{ field: "detail", message: expect.any(String) }],
    });
    expect(r.body.detail).toMatch(/^detail: .*OrderCancelled/);
  });

  it("turns validation errors into 400 naming each field", async () => {
    const r = await request(app()).post("/zod").send({});
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      status: 400,
      title: "Invalid request",
      detail: "items.0.quantity: Too small: expected number to be >0",
    });
    expect(r.body.errors).toEqual([
      { field: "items.0.quantity", message: "Too small: expected number to be >0" },
      { field: "coupon", message: "unknown field" },
    ]);
  });
  it("answers malformed JSON with 400", async () => {
    const r = await request(app()).post("/zod").set("content-type", "application/json").send("{nope");
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("Malformed JSON body");
  });
  it("renders an HttpProblem with its extras, a 404 for unknown routes", async () => {
    expect((await request(app()).get("/teapot")).body).toMatchObject({
      status: 418,
      title: "I'm a teapot",
      detail: "short and stout",
      code: "TEAPOT",
    });
    expect((await request(app()).get("/nowhere")).status).toBe(404);
  });
  it("hides an unexpected error's message behind a 500", async () => {
    const r = await request(app()).get("/boom");
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain("secret internals");
  });
});

describe("correlation ids", () => {
  it("takes the caller's id, or makes one, and echoes it", async () => {
    const given = await request(app()).get("/cid").set("correlation-id", "abc-123");
    expect(given.body.correlationId).toBe("abc-123");
    expect(given.headers["correlation-id"]).toBe("abc-123");
    const made = await request(app()).get("/cid");
    expect(made.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("health", () => {
  it("is alive, and ready only while every check passes", async () => {
    let dbUp = true;
    const a = app({
      checks: [
        {
          name: "database",
          check: () => {
            if (!dbUp) throw new Error("connection refused");
          },
        },
      ],
    });
    expect((await request(a).get("/healthz")).body).toEqual({ status: "ok" });
    expect((await request(a).get("/readyz")).status).toBe(200);
    dbUp = false;
    const down = await request(a).get("/readyz");
    expect(down.status).toBe(503);
    expect(down.body.checks.database).toEqual({ ok: false, error: "connection refused" });
    dbUp = true;
    expect((await request(a).get("/readyz")).status).toBe(200);
  });
  it("fails readiness when a check hangs", async () => {
    const a = app({ checks: [{ name: "stuck", check: () => new Promise(() => {}) }] });
    const r = await request(a).get("/readyz");
    expect(r.status).toBe(503);
    expect(r.body.checks.stuck.error).toMatch(/no answer/);
  }, 10_000);
  it("serves Prometheus metrics including request durations", async () => {
    const a = app();
    await request(a).get("/cid");
    const r = await request(a).get("/metrics");
    // the default Node.js metrics are unprefixed, as stock dashboards query them
    expect(r.text).toMatch(/^process_cpu_user_seconds_total\{[^}]*service="test"/m);
    expect(r.text).not.toContain("orderflow_process_");
    expect(r.text).toMatch(/orderflow_http_request_duration_seconds_count\{[^}]*route="\/cid",status_code="200"/);
  });
});
