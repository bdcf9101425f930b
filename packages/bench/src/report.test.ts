import { describe, expect, it } from "vitest";
import { judge } from "./report.js";
import { figure } from "./stats.js";

describe("the results table", () => {
  it("gives each row its ratio to the baseline and says whether its target is met", () => {
    const [ratio, latency, flat, none] = judge([
      {
        figure: "POST /orders",
        value: figure([80, 90, 100]),
        unit: "req/s",
        baseline: { name: "pgbench", value: figure([100]) },
        target: "≥ 0.7× baseline",
      },
      { figure: "commit→ack p50", value: figure([6]), unit: "ms", target: "≤ 5 ms" },
      { figure: "lag", value: figure([3]), unit: "records", target: "flat", met: true },
      { figure: "reference", value: figure([1]), unit: "records/s" },
    ]);
    expect([ratio!.ratio, ratio!.met]).toEqual([0.9, true]);
    expect([latency!.ratio, latency!.met]).toEqual([undefined, false]);
    expect(flat!.met).toBe(true);
    expect([none!.ratio, none!.met]).toEqual([undefined, undefined]);
  });
});
