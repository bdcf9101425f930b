import { describe, expect, it } from "vitest";
import { judge, valueCell } from "./report.js";
import { figure } from "./stats.js";

describe("the results table", () => {
  it("gives each row its ratio to the baseline and says whether its target is met", () => {
    const [ratio, latency, flat, none, pairMet, pairMissed] = judge([
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
      { figure: "commit→ack p50 / p99", value: figure([4]), also: figure([20]), unit: "ms", target: "≤ 5 / ≤ 25 ms" },
      { figure: "commit→ack p50 / p99", value: figure([4]), also: figure([30]), unit: "ms", target: "≤ 5 / ≤ 25 ms" },
    ]);
    expect([ratio!.ratio, ratio!.met]).toEqual([0.9, true]);
    expect([latency!.ratio, latency!.met]).toEqual([undefined, false]);
    expect(flat!.met).toBe(true);
    expect([none!.ratio, none!.met]).toEqual([undefined, undefined]);
    expect([pairMet!.met, pairMissed!.met]).toEqual([true, false]);
  });

  it("shows a pair as its two medians, each with its spread", () => {
    expect(
      valueCell({ figure: "commit→ack p50 / p99", value: figure([4, 5, 6]), also: figure([20, 30, 25]), unit: "ms" }),
    ).toBe("5 (4–6) / 25 (20–30)");
  });
});
