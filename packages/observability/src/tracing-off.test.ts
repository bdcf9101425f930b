import { describe, expect, it } from "vitest";
import { initTracing, startHop } from "./tracing.js";

describe("tracing off (the default)", () => {
  it("records nothing but hands the incoming traceparent on unchanged", () => {
    initTracing({ service: "test", exporter: "none" });
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const hop = startHop("x", "consumer", tp);
    expect(hop.traceparent).toBe(tp);
    hop.end();
    expect(startHop("y", "server", undefined).traceparent).toBeUndefined();
  });
});
