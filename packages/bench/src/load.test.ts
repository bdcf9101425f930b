import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { openLoopInChild } from "./load.js";

describe("openLoopInChild", () => {
  const seen: { key: string | undefined; auth: string | undefined; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString("utf8")));
    req.on("end", () => {
      seen.push({ key: req.headers["idempotency-key"] as string, auth: req.headers.authorization, body });
      res.statusCode = seen.length === 3 ? 500 : 201;
      res.end("{}");
    });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("sends the rate's requests from another process, each with a key of its own, and times the answers", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const r = await openLoopInChild(`http://127.0.0.1:${port}/orders`, {
      body: { sku: "BOOK-1" },
      headers: { authorization: "Bearer t" },
      ratePerSecond: 20,
      durationMs: 500,
    });
    expect(r.ok).toBe(9);
    expect(r.failed).toBe(1);
    expect(r.latencyMs.n).toBe(9);
    expect(r.latencyMs.p99).toBeGreaterThan(0);
    expect(seen).toHaveLength(10);
    expect(new Set(seen.map((s) => s.key)).size).toBe(10);
    expect(seen.every((s) => s.auth === "Bearer t" && JSON.parse(s.body).sku === "BOOK-1")).toBe(true);
  });
});
