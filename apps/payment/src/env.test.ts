import { describe, expect, it } from "vitest";
import { loadEnv } from "./env.js";

describe("payment configuration", () => {
  it("reads the fault-injection settings tests use, and names a bad one", () => {
    const env = loadEnv({ PAYMENT_GATEWAY_FAILPOINT: "unavailable", PAYMENT_CONSUMER_FAILPOINT: "crash-after-handled:20" });
    expect(env.PAYMENT_GATEWAY_FAILPOINT).toBe("unavailable");
    expect(env.PAYMENT_CONSUMER_FAILPOINT).toEqual({ crashAfterHandled: 20 });
    expect(() => loadEnv({ PAYMENT_CONSUMER_FAILPOINT: "crash-after-handled:0" })).toThrow(/PAYMENT_CONSUMER_FAILPOINT: must be crash-after-handled:<n>/);
    expect(() => loadEnv({ PAYMENT_GATEWAY_FAILPOINT: "slow" })).toThrow(/PAYMENT_GATEWAY_FAILPOINT/);
  });
  it("runs without fault injection by default", () => {
    const env = loadEnv({});
    expect([env.PAYMENT_GATEWAY_FAILPOINT, env.PAYMENT_CONSUMER_FAILPOINT]).toEqual([undefined, undefined]);
  });
});
