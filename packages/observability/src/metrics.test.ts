import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

describe("createMetrics", () => {
  it("exports the default Node.js and process metrics unprefixed, as stock dashboards query them, with the service label", async () => {
    const text = await createMetrics("order").registry.metrics();
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
    ])
      expect(text).toMatch(new RegExp(`^${name}\\{[^}]*service="order"`, "m"));
    expect(text).not.toMatch(/^orderflow_(process|nodejs)_/m);
  });
});
