// orderflow_dead_letters_pending_records: the console already holds every dead letter and the
// audit trail that redrives or discards them, so it counts the pending ones when scraped.
import { deadLetterTopics } from "@orderflow/contracts";
import type { DeadLetterIndex } from "@orderflow/kafka";
import type { Metrics } from "@orderflow/observability";

export function deadLetterMetrics(metrics: Metrics, index: Pick<DeadLetterIndex, "list">): void {
  // every dead-letter topic has a series, 0 when nothing waits, so an alert tells "none" from "no data"
  const topics = deadLetterTopics().map((t) => t.name);
  metrics.gauge({
    name: "orderflow_dead_letters_pending_records",
    help: "Dead letters neither redriven nor discarded, by dead-letter topic",
    labelNames: ["topic"],
    collect() {
      const pending = new Map(topics.map((t) => [t, 0]));
      for (const d of index.list()) pending.set(d.dltTopic, (pending.get(d.dltTopic) ?? 0) + 1);
      for (const [topic, n] of pending) this.set({ topic }, n);
    },
  });
}
