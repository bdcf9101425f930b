import { describe, expect, it } from "vitest";
import {
  authEnv,
  authSettings,
  checkApiServiceEnv,
  checkAuthEnv,
  ConfigError,
  consumingServiceEnv,
  httpPort,
  httpUrl,
  httpUrlOrNone,
  LOCAL_DEV_JWT_SECRET,
  parseEnv,
  port,
  postgresUrl,
  serviceConfig,
  serviceEnv,
} from "./index.js";

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

describe("log format and drain", () => {
  it("writes JSON and drains for no time unless told otherwise", () => {
    expect(parseEnv("svc", shape, {})).toMatchObject({ LOG_FORMAT: "json", SHUTDOWN_DRAIN_MS: 0 });
    const env = parseEnv("svc", shape, { LOG_FORMAT: "pretty", SHUTDOWN_DRAIN_MS: "5000" });
    expect(env).toMatchObject({ LOG_FORMAT: "pretty", SHUTDOWN_DRAIN_MS: 5000 });
  });

  it("names LOG_FORMAT and SHUTDOWN_DRAIN_MS when their values are bad", () => {
    expect(() => parseEnv("svc", shape, { LOG_FORMAT: "text" })).toThrow(/LOG_FORMAT: must be json or pretty/);
    expect(() => parseEnv("svc", shape, { SHUTDOWN_DRAIN_MS: "-1" })).toThrow(/SHUTDOWN_DRAIN_MS: /);
  });
});

describe("secrets in configuration errors", () => {
  it("names the variable and the rule, never the value", () => {
    const shapeWithAuth = { ...shape, ...authEnv };
    let msg = "";
    try {
      parseEnv(
        "svc",
        shapeWithAuth,
        { DATABASE_URL: "mysql://app:hunter2-db@db/x", AUTH_JWT_SECRET: "too-short-but-secret" },
        checkAuthEnv,
      );
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain("DATABASE_URL: must be a postgresql:// URL");
    expect(msg).toContain("AUTH_JWT_SECRET: must be at least 32 characters");
    expect(msg).not.toContain("hunter2");
    expect(msg).not.toContain("too-short-but-secret");
  });

  it("refuses to run production without a token key of its own", () => {
    expect(() => parseEnv("svc", authEnv, { NODE_ENV: "production" }, checkAuthEnv)).toThrow(
      /AUTH_JWT_SECRET: is required/,
    );
    expect(() =>
      parseEnv("svc", authEnv, { NODE_ENV: "production", AUTH_JWT_SECRET: LOCAL_DEV_JWT_SECRET }, checkAuthEnv),
    ).toThrow(/local development secret/);
    expect(() => parseEnv("svc", authEnv, { AUTH_JWT_ALGORITHM: "RS256" }, checkAuthEnv)).toThrow(
      /AUTH_JWKS_URL: is required/,
    );
    expect(authSettings(parseEnv("svc", authEnv, {}, checkAuthEnv))).toMatchObject({
      mode: "jwt",
      algorithm: "HS256",
      secret: LOCAL_DEV_JWT_SECRET,
    });
  });
});

describe("httpUrlOrNone", () => {
  const shape = { UPSTREAM_URL: httpUrlOrNone("http://127.0.0.1:9090") };

  it("defaults to the fallback, drops trailing slashes, and reads none or empty as absent", () => {
    expect(parseEnv("svc", shape, {}).UPSTREAM_URL).toBe("http://127.0.0.1:9090");
    expect(parseEnv("svc", shape, { UPSTREAM_URL: "https://prom.example/x/" }).UPSTREAM_URL).toBe(
      "https://prom.example/x",
    );
    expect(parseEnv("svc", shape, { UPSTREAM_URL: "none" }).UPSTREAM_URL).toBeNull();
    expect(parseEnv("svc", shape, { UPSTREAM_URL: " " }).UPSTREAM_URL).toBeNull();
  });

  it("refuses anything else, naming the variable", () => {
    expect(() => parseEnv("svc", shape, { UPSTREAM_URL: "prometheus:9090" })).toThrow(
      /UPSTREAM_URL: must be an http\(s\) URL, or none/,
    );
  });
});

describe("shared service settings", () => {
  const config = serviceConfig("svc", checkApiServiceEnv, {
    PORT: httpPort(3009),
    ...consumingServiceEnv("orderflow_svc"),
    BASE_URL: httpUrl("http://x:1/"),
  });

  it("composes the database, auth, Kafka and retry settings with the service's own", () => {
    const env = config.parse({});
    expect(env).toMatchObject({
      PORT: 3009,
      DATABASE_URL: "postgresql://postgres@127.0.0.1:54329/orderflow_svc",
      DATABASE_POOL_SIZE: 10,
      AUTH_MODE: "jwt",
      CONSUMER_MAX_ATTEMPTS: 5,
      LOG_LEVEL: "info",
      BASE_URL: "http://x:1",
    });
    expect(config.ENV_KEYS).toEqual(Object.keys(config.ENV_SHAPE));
    expect(config.ENV_KEYS).toEqual(
      expect.arrayContaining([
        "PORT",
        "MIGRATE_DATABASE_URL",
        "AUTH_JWT_SECRET",
        "KAFKA_SASL_MECHANISM",
        "SHUTDOWN_GRACE_MS",
        "CONSUMER_RETRY_MAX_TOTAL_MS",
      ]),
    );
  });

  it("applies the auth and Kafka security rules together", () => {
    expect(() => config.parse({ AUTH_JWT_ALGORITHM: "RS256", KAFKA_SASL_MECHANISM: "plain" })).toThrow(
      /AUTH_JWKS_URL: is required[\s\S]*KAFKA_SASL_USERNAME: is required/,
    );
  });
});
