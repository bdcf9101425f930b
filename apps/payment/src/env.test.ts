import { describe, expect, it } from "vitest";
import { loadEnv } from "./env.js";

describe("payment configuration", () => {
  it("reads the fault-injection settings tests use, and names a bad one", () => {
    const env = loadEnv({
      PAYMENT_GATEWAY_FAILPOINT: "unavailable",
      PAYMENT_CONSUMER_FAILPOINT: "crash-after-handled:20",
    });
    expect(env.PAYMENT_GATEWAY_FAILPOINT).toBe("unavailable");
    expect(env.PAYMENT_CONSUMER_FAILPOINT).toEqual({ kind: "crash-after-handled", n: 20 });
    expect(loadEnv({ PAYMENT_CONSUMER_FAILPOINT: "crash-after-provider:3" }).PAYMENT_CONSUMER_FAILPOINT).toEqual({
      kind: "crash-after-provider",
      n: 3,
    });
    expect(() => loadEnv({ PAYMENT_CONSUMER_FAILPOINT: "crash-after-handled:0" })).toThrow(
      /PAYMENT_CONSUMER_FAILPOINT: must be crash-after-handled:<n>/,
    );
    expect(() => loadEnv({ PAYMENT_GATEWAY_FAILPOINT: "slow" })).toThrow(/PAYMENT_GATEWAY_FAILPOINT/);
  });
  it("runs without fault injection by default", () => {
    const env = loadEnv({});
    expect([env.PAYMENT_GATEWAY_FAILPOINT, env.PAYMENT_CONSUMER_FAILPOINT]).toEqual([undefined, undefined]);
  });
  it("calls the local provider simulator by default, and names a bad provider URL", () => {
    expect(loadEnv({})).toMatchObject({
      PAYMENT_PROVIDER_URL: "http://127.0.0.1:3006",
      PAYMENT_PROVIDER_TIMEOUT_MS: 2000,
    });
    expect(
      loadEnv({ PAYMENT_PROVIDER_URL: "https://provider.example/api/", PAYMENT_PROVIDER_TIMEOUT_MS: "500" }),
    ).toMatchObject({ PAYMENT_PROVIDER_URL: "https://provider.example/api", PAYMENT_PROVIDER_TIMEOUT_MS: 500 });
    expect(() => loadEnv({ PAYMENT_PROVIDER_URL: "provider:3006" })).toThrow(
      /PAYMENT_PROVIDER_URL: must be an http\(s\) URL/,
    );
    expect(() => loadEnv({ PAYMENT_PROVIDER_TIMEOUT_MS: "0" })).toThrow(/PAYMENT_PROVIDER_TIMEOUT_MS/);
  });
});
