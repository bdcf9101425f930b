// Prometheus metrics for Kafka consumers, shaped to plug into @orderflow/kafka's ConsumerObserver
// and monitorLag (this package does not import kafkajs).
import type { Metrics } from "./metrics.js";

export function kafkaConsumerMetrics(m: Metrics) {
  const records = m.counter({
    name: "orderflow_consumer_records_total",
    help: "Records finished by consumers, by outcome (handled, dead-lettered, parked, skipped, released)",
    labelNames: ["group", "topic", "outcome"],
  });
  const retries = m.counter({
    name: "orderflow_consumer_retries_total",
    help: "Retriable handler failures that were retried",
    labelNames: ["group", "topic"],
  });
  const duration = m.histogram({
    name: "orderflow_consumer_record_duration_seconds",
    help: "Time to finish one record, retries included",
    labelNames: ["group", "topic", "outcome"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const waited = m.histogram({
    name: "orderflow_consumer_record_wait_seconds",
    help: "Time from a record's timestamp (its producer's send) to the start of its batch's handling: the fetch cycle and the batches ahead of it",
    labelNames: ["group", "topic"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const queued = m.gauge({
    name: "orderflow_consumer_queued_records",
    help: "Records the member fetched ahead and holds in its partition queues, not yet handed to a run",
    labelNames: ["group"],
  });
  const lifecycle = m.counter({
    name: "orderflow_consumer_lifecycle_events_total",
    help: "kafkajs consumer instrumentation events (group_join, heartbeat, commit, rebalancing, crash, stop)",
    labelNames: ["group", "event"],
  });
  const lag = m.gauge({
    name: "orderflow_consumer_lag_records",
    help: "Log end offset minus the group's committed offset, per partition",
    labelNames: ["group", "topic", "partition"],
  });
  return {
    observer: {
      record: (o: { group: string; topic: string; outcome: string; durationMs: number }) => {
        records.inc({ group: o.group, topic: o.topic, outcome: o.outcome });
        duration.observe({ group: o.group, topic: o.topic, outcome: o.outcome }, o.durationMs / 1000);
      },
      waited: (o: { group: string; topic: string; waitedMs: number[] }) => {
        for (const ms of o.waitedMs) waited.observe({ group: o.group, topic: o.topic }, Math.max(0, ms) / 1000);
      },
      queued: (o: { group: string; records: number }) => queued.set({ group: o.group }, o.records),
      retry: (o: { group: string; topic: string }) => retries.inc(o),
      lifecycle: (o: { group: string; event: string }) => lifecycle.inc(o),
    },
    /** feed from monitorLag; a partition without a commit has no lag to report */
    setLag: (group: string, rows: { topic: string; partition: number; lag: number | null }[]) => {
      for (const r of rows)
        if (r.lag !== null) lag.set({ group, topic: r.topic, partition: String(r.partition) }, r.lag);
    },
  };
}
