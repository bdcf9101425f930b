import type { DeadLetter } from "@orderflow/kafka";
import { createMetrics } from "@orderflow/observability";
import { describe, expect, it } from "vitest";
import { deadLetterMetrics } from "./metrics.js";

describe("orderflow_dead_letters_pending_records", () => {
  it("counts the pending dead letters per dead-letter topic at each scrape, 0 for a topic with none", async () => {
    const metrics = createMetrics("ops-console");
    let pending = [{ dltTopic: "order-events.payment.dlt" }, { dltTopic: "order-events.payment.dlt" }];
    deadLetterMetrics(metrics, { list: () => pending as DeadLetter[] });
    const sample = async (topic: string) =>
      Number(
        new RegExp(
          `^orderflow_dead_letters_pending_records\\{topic="${topic}",service="ops-console"\\} (\\d+)$`,
          "m",
        ).exec(await metrics.registry.metrics())?.[1],
      );
    expect(await sample("order-events\\.payment\\.dlt")).toBe(2);
    expect(await sample("payment-events\\.order\\.dlt")).toBe(0);
    pending = [{ dltTopic: "payment-events.order.dlt" }]; // one redriven, one discarded, a new one failed
    expect(await sample("order-events\\.payment\\.dlt")).toBe(0);
    expect(await sample("payment-events\\.order\\.dlt")).toBe(1);
  });
});
