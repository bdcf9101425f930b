import { describe, expect, it } from "vitest";
import { kafkaConsumerMetrics } from "./kafka-metrics.js";
import { createMetrics } from "./metrics.js";

describe("kafka consumer metrics", () => {
  it("counts outcomes, retries and lifecycle events, times records and reports lag", async () => {
    const m = createMetrics("test");
    const k = kafkaConsumerMetrics(m);
    k.observer.record({ group: "payment", topic: "order-events", outcome: "handled", durationMs: 12 });
    k.observer.record({ group: "payment", topic: "order-events", outcome: "dead-lettered", durationMs: 3 });
    k.observer.retry({ group: "payment", topic: "order-events" });
    k.observer.lifecycle({ group: "payment", event: "group_join" });
    k.observer.queued({ group: "payment", records: 5 });
    k.setLag("payment", [
      { topic: "order-events", partition: 3, lag: 7 },
      { topic: "order-events", partition: 4, lag: null },
    ]);
    const text = await m.registry.metrics();
    expect(text).toMatch(
      /orderflow_consumer_records_total\{[^}]*group="payment",topic="order-events",outcome="handled"[^}]*\} 1/,
    );
    expect(text).toMatch(/orderflow_consumer_records_total\{[^}]*outcome="dead-lettered"[^}]*\} 1/);
    expect(text).toMatch(/orderflow_consumer_retries_total\{[^}]*group="payment"[^}]*\} 1/);
    expect(text).toMatch(/orderflow_consumer_lifecycle_events_total\{[^}]*event="group_join"[^}]*\} 1/);
    expect(text).toMatch(/orderflow_consumer_record_duration_seconds_count\{[^}]*outcome="handled"[^}]*\} 1/);
    expect(text).toMatch(/orderflow_consumer_lag_records\{[^}]*partition="3"[^}]*\} 7/);
    expect(text).toMatch(/orderflow_consumer_queued_records\{[^}]*group="payment"[^}]*\} 5/);
    expect(text).not.toMatch(/orderflow_consumer_lag_records\{[^}]*partition="4"/);
  });

  it("puts each record's wait before its batch in a histogram by group and topic", async () => {
    const m = createMetrics("test");
    kafkaConsumerMetrics(m).observer.waited({ group: "shipping", topic: "order-events", waitedMs: [3, 40, 700] });
    const text = await m.registry.metrics();
    const bucket = (le: string) =>
      new RegExp(
        `orderflow_consumer_record_wait_seconds_bucket\\{[^}]*le="${le}"[^}]*group="shipping",topic="order-events"[^}]*\\} (\\d+)`,
      ).exec(text)?.[1];
    expect([bucket("0.005"), bucket("0.05"), bucket("1")]).toEqual(["1", "2", "3"]);
  });
});
