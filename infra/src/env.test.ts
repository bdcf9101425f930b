import { describe, expect, it } from "vitest";
import { loadStackEnv } from "./env.js";

describe("stack configuration", () => {
  it("defaults away from a system PostgreSQL and Kafka", () => {
    const env = loadStackEnv({});
    expect([env.PG_PORT, env.KAFKA_PORT]).toEqual([54329, 19092]);
    expect(env.ORDERFLOW_STACK_DIR).toMatch(/\.stack$/);
  });
  it("names a bad variable", () => {
    expect(() => loadStackEnv({ KAFKA_PORT: "ninety" })).toThrow(/KAFKA_PORT/);
  });
});
