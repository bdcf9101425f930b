// orderflow_saga_duration_seconds: how long an order takes from OrderPlaced to its terminal
// event, as the saga consumer records it (docs/observability.md).
import type { Metrics } from "@orderflow/observability";
import type { SagaEnded } from "./commands/apply-saga-event.js";

/** from a fast local flow (a fraction of a second) to an order held up by retries or an outage */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export function sagaDurations(metrics: Metrics): SagaEnded {
  const h = metrics.histogram({
    name: "orderflow_saga_duration_seconds",
    help: "OrderPlaced to the order's terminal event (shipped, cancelled), observed when the saga records it",
    labelNames: ["outcome"],
    buckets: BUCKETS,
  });
  return (outcome, seconds) => h.observe({ outcome }, seconds);
}
