import express from "express";
import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { problemHandler } from "./http.js";
import { idempotentInMemory } from "./idempotency.js";

function app(now: () => number = Date.now) {
  let acts = 0;
  let release: () => void = () => {};
  const a = express();
  a.use(express.json());
  a.use((req, _res, next) => {
    req.principal = { subject: req.get("x-subject") ?? "ops-1", scopes: ["ops"] };
    next();
  });
  a.use(idempotentInMemory({ ttlMs: 60_000, now }));
  a.post("/act", (req, res) => void res.status(201).location(`/acts/${++acts}`).json({ act: acts, body: req.body }));
  a.post("/slow", async (_req, res) => {
    await new Promise<void>((r) => (release = r));
    res.json({ act: ++acts });
  });
  a.post("/fail", (_req, res) => void res.status(400).json({ act: ++acts }));
  a.use(problemHandler(pino({ level: "silent" })));
  return { a, acts: () => acts, release: () => release() };
}

describe("idempotentInMemory", () => {
  it("acts once for a retry with the same key and body, replaying status, body and Location", async () => {
    const t = app();
    const first = await request(t.a).post("/act").set("idempotency-key", "k1").send({ x: 1 });
    const retry = await request(t.a).post("/act").set("idempotency-key", "k1").send({ x: 1 });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(t.acts()).toBe(1);
  });

  it("refuses the key for another body (422) and while the first is in flight (409)", async () => {
    const t = app();
    await request(t.a).post("/act").set("idempotency-key", "k").send({ x: 1 });
    const other = await request(t.a).post("/act").set("idempotency-key", "k").send({ x: 2 });
    expect(other.status).toBe(422);
    expect(other.body.errors[0].field).toBe("Idempotency-Key");
    const slow = request(t.a)
      .post("/slow")
      .set("idempotency-key", "s")
      .send({})
      .then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    const during = await request(t.a).post("/slow").set("idempotency-key", "s").send({});
    expect(during.status).toBe(409);
    t.release();
    expect((await slow).status).toBe(200);
    expect(t.acts()).toBe(2);
  });

  it("stores no error, scopes keys to the subject, forgets them after the window, and acts as before without a key", async () => {
    let clock = 1_000;
    const t = app(() => clock);
    await request(t.a).post("/fail").set("idempotency-key", "f").send({});
    await request(t.a).post("/fail").set("idempotency-key", "f").send({});
    expect(t.acts()).toBe(2);
    await request(t.a).post("/act").set("idempotency-key", "k").send({});
    await request(t.a).post("/act").set("idempotency-key", "k").set("x-subject", "ops-2").send({});
    expect(t.acts()).toBe(4);
    clock += 61_000;
    expect(
      (await request(t.a).post("/act").set("idempotency-key", "k").send({})).headers["idempotent-replayed"],
    ).toBeUndefined();
    await request(t.a).post("/act").send({});
    await request(t.a).post("/act").send({});
    expect(t.acts()).toBe(7);
    expect((await request(t.a).post("/act").set("idempotency-key", "bad key").send({})).status).toBe(400);
  });
});
