import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv, port, postgresUrl, serviceEnv } from "./index.js";

const shape = { PORT: port(3001), DATABASE_URL: postgresUrl("postgresql://postgres@127.0.0.1:54329/x"), ...serviceEnv };

describe("parseEnv", () => {
  it("applies defaults", () => {
    const env = parseEnv("svc", shape, {});
    expect(env).toMatchObject({ PORT: 3001, KAFKA_BROKERS: ["127.0.0.1:19092"], LOG_LEVEL: "info" });
  });

  it("splits the broker list", () => {
    expect(parseEnv("svc", shape, { KAFKA_BROKERS: "a:1, b:2" }).KAFKA_BROKERS).toEqual(["a:1", "b:2"]);
  });

  it("names every bad variable and why", () => {
    let err: unknown;
    try {
      parseEnv("svc", shape, { PORT: "http", DATABASE_URL: "mysql://x", KAFKA_BROKERS: "nohostport" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain("svc: invalid configuration");
    expect(msg).toMatch(/PORT: .*number/i);
    expect(msg).toContain("DATABASE_URL: must be a postgresql:// URL");
    expect(msg).toContain("KAFKA_BROKERS.0: each broker must be host:port");
  });
});
