import { describe, expect, it } from "vitest";
import { PublishRate } from "./worker.js";

describe("PublishRate", () => {
  it("is rows per second over the time since start while younger than a minute", () => {
    let now = 0;
    const rate = new PublishRate(() => now);
    now = 10_000;
    rate.add(50);
    rate.add(50);
    expect(rate.perSecond()).toBe(10);
  });

  it("forgets batches older than a minute", () => {
    let now = 0;
    const rate = new PublishRate(() => now);
    rate.add(600);
    now = 30_000;
    rate.add(60);
    now = 61_000;
    expect(rate.perSecond()).toBe(1);
    now = 200_000;
    expect(rate.perSecond()).toBe(0);
  });
});
