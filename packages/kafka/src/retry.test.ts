import { describe, expect, it } from "vitest";
import { backoffDelay, waitWithHeartbeat, type RetryPolicy } from "./retry.js";

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000, maxTotalMs: 10_000 };

describe("backoffDelay (full jitter)", () => {
  it("doubles the ceiling per failure and caps it", () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });
  it("draws anywhere from 0 up to the ceiling", () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });
});

describe("waitWithHeartbeat", () => {
  it("heartbeats while it waits and stops early when told", async () => {
    let beats = 0;
    let go = true;
    const done = waitWithHeartbeat(
      10_000,
      async () => void beats++,
      () => go,
      5,
    );
    await new Promise((r) => setTimeout(r, 30));
    go = false;
    expect(await done).toBe(false);
    expect(beats).toBeGreaterThan(1);
  });
});
