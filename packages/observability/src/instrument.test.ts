import "./instrument.js";
import { createRequire } from "node:module";
import type pgModule from "pg";
import { describe, expect, it } from "vitest";
import { initTracing } from "./tracing.js";

// loaded after the instrumentation, as a service's modules are
const pg = createRequire(import.meta.url)("pg") as typeof pgModule;
const patched = () => (pg.Client.prototype.query as { __wrapped?: boolean }).__wrapped === true;

describe("the pg instrumentation", () => {
  it("patches pg as it loads, and takes the patch off when nothing is recorded (TRACES_EXPORTER=none)", () => {
    expect(patched()).toBe(true);
    initTracing({ service: "test", version: "0.0.0", environment: "test", exporter: "none" });
    expect(patched()).toBe(false);
  });
});
