import { describe, expect, it } from "vitest";
import { loadBenchEnv } from "./env.js";

describe("bench settings", () => {
  it("measures every part on the local stack's broker by default", () => {
    const env = loadBenchEnv({});
    expect(env.profileName).toBe("short");
    expect([...env.parts]).toEqual(["relay", "consumer", "orders", "saga", "slow-provider"]);
    expect(env.brokers).toEqual(["127.0.0.1:19092"]);
  });

  it("takes the parts asked for", () => {
    expect([...loadBenchEnv({ BENCH_PARTS: "relay, saga" }).parts]).toEqual(["relay", "saga"]);
    expect([...loadBenchEnv({ BENCH_PARTS: "slow-provider" }).parts]).toEqual(["slow-provider"]);
    expect([...loadBenchEnv({ BENCH_PARTS: "orders,slow-provider" }).parts]).toEqual(["orders", "slow-provider"]);
  });

  it("names the variable and the choices when a value is wrong", () => {
    expect(() => loadBenchEnv({ BENCH_PARTS: "relay,sagas" })).toThrow(
      /BENCH_PARTS must be a comma-separated list of relay, consumer, orders, saga, slow-provider \(got "relay,sagas"\)/,
    );
    expect(() => loadBenchEnv({ BENCH_PARTS: "," })).toThrow(/BENCH_PARTS/);
    expect(() => loadBenchEnv({ BENCH_PROFILE: "long" })).toThrow(/BENCH_PROFILE must be one of short, full/);
  });
});
