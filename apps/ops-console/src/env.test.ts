import { describe, expect, it } from "vitest";
import { loadEnv } from "./env.js";

describe("ops console configuration", () => {
  it("defaults to the local services and port 3005, without a trailing slash", () => {
    const env = loadEnv({});
    expect([env.PORT, env.ORDER_URL, env.RELAY_URL]).toEqual([3005, "http://127.0.0.1:3001", "http://127.0.0.1:3004"]);
    expect(loadEnv({ ORDER_URL: "http://order:3001/" }).ORDER_URL).toBe("http://order:3001");
  });
  it("names a bad service URL", () => {
    expect(() => loadEnv({ ORDER_URL: "order:3001" })).toThrow(/ORDER_URL: must be an http\(s\) URL/);
    expect(() => loadEnv({ RELAY_URL: "ftp://relay" })).toThrow(/RELAY_URL/);
  });
  it("asks the local Prometheus by default; none or empty turns the history charts off", () => {
    expect(loadEnv({}).OPS_PROMETHEUS_URL).toBe("http://127.0.0.1:9090");
    expect(loadEnv({ OPS_PROMETHEUS_URL: "none" }).OPS_PROMETHEUS_URL).toBeNull();
    expect(loadEnv({ OPS_PROMETHEUS_URL: "" }).OPS_PROMETHEUS_URL).toBeNull();
    expect(() => loadEnv({ OPS_PROMETHEUS_URL: "prometheus:9090" })).toThrow(
      /OPS_PROMETHEUS_URL: must be an http\(s\) URL/,
    );
  });
  it("serves the built page unless told to run Vite's dev server", () => {
    expect(loadEnv({}).OPS_PAGE).toBe("built");
    expect(loadEnv({ OPS_PAGE: "vite" }).OPS_PAGE).toBe("vite");
    expect(() => loadEnv({ OPS_PAGE: "dev" })).toThrow(/OPS_PAGE/);
  });
  it("needs a key of its own in production, as every service with an API", () => {
    expect(() => loadEnv({ NODE_ENV: "production" })).toThrow(/AUTH_JWT_SECRET/);
  });
});
