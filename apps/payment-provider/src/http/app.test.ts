import type { Server } from "node:http";
import { createMetrics } from "@orderflow/observability";
import { pino } from "pino";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { Faults, type FaultSettings } from "../domain/faults.js";
import { Ledger } from "../ledger.js";
import { createApp } from "./app.js";
import { HeldAnswers } from "./held.js";

const NO_FAULTS: FaultSettings = { latencyMs: 0, errorRate: 0, lostAnswerRate: 0, lostAnswerHoldMs: 30_000 };
const servers: Server[] = [];
let held: HeldAnswers;

/** the simulator on an ephemeral port, with ids and time as data */
function provider(faults: Partial<FaultSettings> = {}, declineAbove = 100_000) {
  let n = 0;
  held = new HeldAnswers();
  const app = createApp({
    log: pino({ level: "silent" }),
    metrics: createMetrics("payment-provider"),
    ledger: new Ledger({ clock: () => new Date("2026-12-01T10:00:00.000Z"), newId: () => `id${++n}`, declineAbove }),
    faults: new Faults({ ...NO_FAULTS, ...faults }, 7),
    held,
  });
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  return server;
}

afterEach(() => {
  held?.dropAll();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const body = (over: Partial<{ paymentId: string; orderId: string; amount: number; currency: string }> = {}) => ({
  paymentId: "pay-1",
  orderId: "order-1",
  amount: 3000,
  currency: "EUR",
  ...over,
});
const authorize = (server: Server, key: string | undefined, b: object = body()) => {
  const r = request(server).post("/v1/authorizations");
  return (key === undefined ? r : r.set("Idempotency-Key", key)).send(b);
};
const refund = (server: Server, key: string, b: object = body()) =>
  request(server).post("/v1/refunds").set("Idempotency-Key", key).send(b);
const records = async (server: Server, query = "") => (await request(server).get(`/v1/requests${query}`)).body;

describe("authorizations", () => {
  it("approves up to the limit and declines above it, with the reason", async () => {
    const server = provider({}, 1000);
    const ok = await authorize(server, "k-1", body({ amount: 1000 }));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      id: "auth_id1",
      paymentId: "pay-1",
      orderId: "order-1",
      status: "approved",
      amount: 1000,
      currency: "EUR",
    });
    const no = await authorize(server, "k-2", body({ paymentId: "pay-2", amount: 1001 }));
    expect(no.status).toBe(200);
    expect(no.body).toMatchObject({
      paymentId: "pay-2",
      status: "declined",
      reason: "amount 1001 EUR exceeds the simulated limit of 1000",
    });
    expect((await records(server)).summary).toMatchObject({ authorizations: 2, approved: 1, declined: 1, refunds: 0 });
  });

  it("needs an Idempotency-Key and a valid body, and names what is wrong", async () => {
    const server = provider();
    const noKey = await authorize(server, undefined);
    expect(noKey.status).toBe(400);
    expect(noKey.type).toBe("application/problem+json");
    expect(noKey.body.detail).toMatch(/Idempotency-Key/);
    const bad = await authorize(server, "k-1", body({ amount: -5 }));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "amount", message: "must be positive" }]);
    const extra = await authorize(server, "k-1", { ...body(), cvv: "123" });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([{ field: "cvv", message: "unknown field" }]);
    // nothing was recorded: the key is still free
    expect((await records(server)).requests).toEqual([]);
  });

  it("replays the first answer for a repeated key and body, and applies it once", async () => {
    const server = provider();
    const first = await authorize(server, "k-1");
    const again = await authorize(server, "k-1");
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const { summary, requests } = await records(server);
    expect(summary).toMatchObject({ authorizations: 1, replays: 1 });
    expect(requests).toEqual([
      {
        key: "k-1",
        operation: "authorization",
        orderId: "order-1",
        paymentId: "pay-1",
        amount: 3000,
        currency: "EUR",
        status: "approved",
        id: "auth_id1",
        httpStatus: 200,
        presentedCount: 2,
        createdAt: "2026-12-01T10:00:00.000Z",
        lastPresentedAt: "2026-12-01T10:00:00.000Z",
      },
    ]);
  });

  it("answers 422 when a key comes back with another body or for another operation", async () => {
    const server = provider();
    await authorize(server, "k-1");
    const changed = await authorize(server, "k-1", body({ amount: 3001 }));
    expect(changed.status).toBe(422);
    expect(changed.type).toBe("application/problem+json");
    expect(changed.body).toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
    expect(changed.body.detail).toMatch(/another body/);
    const otherOp = await refund(server, "k-1");
    expect(otherOp.status).toBe(422);
    expect(otherOp.body.detail).toMatch(/first used for a authorization, not a refund/);
    // the first answer stands, and nothing else was applied
    expect((await records(server)).summary).toMatchObject({ authorizations: 1, refunds: 0 });
    expect((await authorize(server, "k-1")).body.status).toBe("approved");
  });

  it("a new key for the same payment is a second charge (what the key is for)", async () => {
    const server = provider();
    await authorize(server, "k-1");
    await authorize(server, "k-2");
    expect((await records(server, "?orderId=order-1")).summary).toMatchObject({ authorizations: 2, approved: 2 });
  });
});

describe("refunds", () => {
  it("refunds an approved payment once; a second refund of it is refused", async () => {
    const server = provider();
    await authorize(server, "auth-1");
    const r = await refund(server, "ref-1");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: "re_id2", paymentId: "pay-1", status: "refunded", amount: 3000, currency: "EUR" });
    const replay = await refund(server, "ref-1");
    expect(replay.body).toEqual(r.body);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const twice = await refund(server, "ref-2");
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toMatch(/already refunded/);
    expect((await records(server)).summary).toMatchObject({ authorizations: 1, refunds: 1, refused: 1, replays: 1 });
  });

  it("refuses to refund a payment it never authorized, or one it declined", async () => {
    const server = provider({}, 1000);
    const unknown = await refund(server, "ref-1", body({ paymentId: "nope" }));
    expect(unknown.status).toBe(404);
    expect(unknown.type).toBe("application/problem+json");
    expect(unknown.body.detail).toMatch(/no authorization for payment nope/);
    await authorize(server, "auth-2", body({ paymentId: "pay-2", amount: 5000 }));
    const declined = await refund(server, "ref-2", body({ paymentId: "pay-2", amount: 5000 }));
    expect(declined.status).toBe(409);
    // a refusal is an answer too: the same key gets it again
    const again = await refund(server, "ref-1", body({ paymentId: "nope" }));
    expect([again.status, again.body, again.headers["idempotent-replayed"]]).toEqual([404, unknown.body, "true"]);
  });
});

describe("faults", () => {
  it("errorRate=1 answers 503 and applies and records nothing", async () => {
    const server = provider({ errorRate: 1 });
    const r = await authorize(server, "k-1");
    expect(r.status).toBe(503);
    expect(r.type).toBe("application/problem+json");
    expect(r.headers["retry-after"]).toBe("1");
    expect(await records(server)).toEqual({
      summary: { authorizations: 0, approved: 0, declined: 0, refunds: 0, refused: 0, replays: 0 },
      requests: [],
    });
    // the outage ends: the same key now applies, once
    await request(server).put("/admin/faults").send({ errorRate: 0 }).expect(200);
    expect((await authorize(server, "k-1")).headers["idempotent-replayed"]).toBeUndefined();
    expect((await records(server)).summary.authorizations).toBe(1);
  });

  it("lostAnswerRate=1 applies and records the request, and the client hears nothing", async () => {
    const server = provider({ lostAnswerRate: 1 });
    await expect(authorize(server, "k-1").timeout(300)).rejects.toMatchObject({ timeout: 300 });
    const { summary, requests } = await records(server);
    expect(summary).toMatchObject({ authorizations: 1, approved: 1 });
    expect(requests[0]).toMatchObject({ key: "k-1", status: "approved", presentedCount: 1 });
    // the retry with the same key is answered (once the fault is gone) with the stored answer
    await request(server).put("/admin/faults").send({ lostAnswerRate: 0 }).expect(200);
    const retry = await authorize(server, "k-1");
    expect([retry.status, retry.body.status, retry.headers["idempotent-replayed"]]).toEqual([200, "approved", "true"]);
    expect((await records(server)).summary).toMatchObject({ authorizations: 1, replays: 1 });
  });

  it("a lost answer with no hold drops the connection at once", async () => {
    const server = provider({ lostAnswerRate: 1, lostAnswerHoldMs: 0 });
    await expect(authorize(server, "k-1")).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await records(server)).summary.authorizations).toBe(1);
  });

  it("delays every answer by latencyMs", async () => {
    const server = provider({ latencyMs: 150 });
    const t0 = Date.now();
    expect((await authorize(server, "k-1")).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("reads and changes the settings at run time, and refuses bad ones naming the field", async () => {
    const server = provider();
    expect((await request(server).get("/admin/faults")).body).toEqual({ ...NO_FAULTS, seed: 7 });
    const changed = await request(server)
      .put("/admin/faults")
      .send({ latencyMs: 5, errorRate: 0.25, lostAnswerRate: 0.5 });
    expect(changed.body).toEqual({ ...NO_FAULTS, latencyMs: 5, errorRate: 0.25, lostAnswerRate: 0.5, seed: 7 });
    const bad = await request(server).put("/admin/faults").send({ errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "errorRate", message: "must be a number from 0 to 1" }]);
  });

  it("the same seed gives the same faults for the same requests", async () => {
    const run = async () => {
      const server = provider({ errorRate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++)
        statuses.push((await authorize(server, `k-${i}`, body({ paymentId: `p-${i}` }))).status);
      return statuses;
    };
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([200, 503]));
  });
});

describe("the record", () => {
  it("filters by order and forgets everything on DELETE", async () => {
    const server = provider();
    await authorize(server, "k-1");
    await authorize(server, "k-2", body({ paymentId: "pay-2", orderId: "order-2" }));
    const one = await records(server, "?orderId=order-2");
    expect(one.requests.map((r: { key: string }) => r.key)).toEqual(["k-2"]);
    expect(one.summary.authorizations).toBe(1);
    await request(server).delete("/v1/requests").expect(204);
    expect((await records(server)).requests).toEqual([]);
    // a forgotten key is a new request again
    expect((await authorize(server, "k-1")).headers["idempotent-replayed"]).toBeUndefined();
  });

  it("serves health and metrics like every service", async () => {
    const server = provider();
    await authorize(server, "k-1");
    expect((await request(server).get("/readyz")).status).toBe(200);
    expect((await request(server).get("/metrics")).text).toMatch(
      /orderflow_provider_requests_total\{[^}]*operation="authorization"[^}]*outcome="approved"[^}]*\} 1/,
    );
  });
});
