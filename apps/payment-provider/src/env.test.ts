import { describe, expect, it } from "vitest";
import { loadEnv } from "./env.js";

describe("payment provider configuration", () => {
  it("runs on 3006 without faults by default", () => {
    expect(loadEnv({})).toMatchObject({
      PORT: 3006,
      PROVIDER_DECLINE_ABOVE: 100_000,
      PROVIDER_LATENCY_MS: 0,
      PROVIDER_ERROR_RATE: 0,
      PROVIDER_LOST_ANSWER_RATE: 0,
      PROVIDER_LOST_ANSWER_HOLD_MS: 30_000,
      PROVIDER_SEED: 1,
    });
  });
  it("reads the faults and names a bad one", () => {
    expect(
      loadEnv({
        PROVIDER_ERROR_RATE: "0.2",
        PROVIDER_LOST_ANSWER_RATE: "1",
        PROVIDER_LATENCY_MS: "50",
        PROVIDER_SEED: "42",
      }),
    ).toMatchObject({
      PROVIDER_ERROR_RATE: 0.2,
      PROVIDER_LOST_ANSWER_RATE: 1,
      PROVIDER_LATENCY_MS: 50,
      PROVIDER_SEED: 42,
    });
    expect(() => loadEnv({ PROVIDER_ERROR_RATE: "1.5" })).toThrow(/PROVIDER_ERROR_RATE: must be a number from 0 to 1/);
    expect(() => loadEnv({ PROVIDER_LATENCY_MS: "-1" })).toThrow(/PROVIDER_LATENCY_MS: must not be negative/);
    expect(() => loadEnv({ PROVIDER_SEED: "x" })).toThrow(/PROVIDER_SEED/);
  });
});
