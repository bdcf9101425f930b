import { createMetrics } from "@orderflow/observability";
import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createVerifier, signToken } from "./auth.js";
import { readyWhen } from "./bootstrap.js";
import { createListByOrderApp } from "./list-by-order.js";

const auth = {
  mode: "jwt" as const,
  algorithm: "HS256" as const,
  secret: "x".repeat(32),
  issuer: "test",
  audience: "test",
};
const ORDER = "0190f4d2-8b6a-7c3e-9a1b-2c3d4e5f6a7b";

function app(ready = true) {
  const deps = {
    log: pino({ level: "silent" }),
    registry: createMetrics("list-test").registry,
    verify: createVerifier(auth),
    list: async (orderId: string) => [{ orderId }],
  };
  return createListByOrderApp(
    { ...deps, readiness: [readyWhen("consumer", () => ready, "group not joined")] },
    "/rows",
    (rows) => ({ rows }),
  );
}

describe("createListByOrderApp", () => {
  it("answers the rows of an order to a reader", async () => {
    const token = await signToken(auth, { subject: "ada", scopes: ["orders:read"], ttlSeconds: 60 });
    const r = await request(app()).get(`/rows?orderId=${ORDER}`).set("authorization", `Bearer ${token}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ rows: [{ orderId: ORDER }] });
  });

  it("names a malformed orderId, and refuses a caller without a token", async () => {
    const token = await signToken(auth, { subject: "ada", scopes: ["orders:read"], ttlSeconds: 60 });
    const bad = await request(app()).get("/rows?orderId=nope").set("authorization", `Bearer ${token}`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "orderId", message: "must be an order id (uuid)" }]);
    expect((await request(app()).get(`/rows?orderId=${ORDER}`)).status).toBe(401);
  });

  it("is not ready while a readyWhen check says so, naming why", async () => {
    const r = await request(app(false)).get("/readyz");
    expect(r.status).toBe(503);
    expect(r.body.checks.consumer).toEqual({ ok: false, error: "group not joined" });
  });
});
