import { createMetrics } from "@orderflow/observability";
import { describe, expect, it } from "vitest";
import type { WorkerStatus } from "./relay/worker.js";
import { slotGauges } from "./slot-metrics.js";

const status = (over: Partial<WorkerStatus>): WorkerStatus => ({
  database: "order",
  mode: "wal",
  leader: true,
  reachable: true,
  backlog: 0,
  oldestPendingSeconds: 0,
  publishedPerSecond: 0,
  ...over,
});

describe("slot gauges", () => {
  it("expose each wal database's slot lag in bytes and seconds, and nothing for poll mode", async () => {
    const metrics = createMetrics("outbox-relay");
    const refresh = slotGauges(metrics, {
      status: async () => [
        status({ slot: { name: "orderflow_relay_order", exists: true, lagBytes: 4096, lagSeconds: 1.5 } }),
        status({ database: "payment", mode: "poll" }),
      ],
    });
    await refresh();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /orderflow_relay_slot_lag_bytes\{[^}]*database="order"[^}]*slot="orderflow_relay_order"[^}]*\} 4096/,
    );
    expect(text).toMatch(/orderflow_relay_slot_lag_seconds\{[^}]*database="order"[^}]*\} 1.5/);
    expect(text).not.toMatch(/slot_lag_bytes\{[^}]*database="payment"/);
  });
});
