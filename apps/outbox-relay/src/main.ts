// Composition root of the outbox relay: configuration, Kafka producer, one worker per service
// database, HTTP for health and metrics.
import type { Metrics } from "@orderflow/observability";
import { kafkaService, readyWhen, runMain, serve } from "@orderflow/service-kit";
import { loadEnv } from "./env.js";
import { createApp } from "./http/app.js";
import { createRelay, type Relay, type RelayOptions } from "./relay/relay.js";
import { slotGauges } from "./slot-metrics.js";

const SERVICE = "outbox-relay";

async function main(): Promise<void> {
  const env = loadEnv();
  const { log, metrics, tracing, publisher, broker, ready } = kafkaService(SERVICE, env, import.meta.url);

  const onBatch = batchMetrics(metrics);
  if (env.RELAY_FAILPOINT) log.warn({ failpoint: env.RELAY_FAILPOINT }, "fault injection enabled");

  const relay = createRelay({
    databases: env.RELAY_DATABASES,
    mode: env.RELAY_MODE,
    slotPrefix: env.RELAY_SLOT_PREFIX,
    publisher,
    log,
    batchSize: env.RELAY_BATCH_SIZE,
    pollIntervalMs: env.RELAY_POLL_INTERVAL_MS,
    retentionMs: env.RELAY_RETENTION_MS,
    cleanupIntervalMs: env.RELAY_CLEANUP_INTERVAL_MS,
    ...failpointHooks(env.RELAY_FAILPOINT, log),
    onBatch,
  });

  const refreshOutbox = outboxGauges(metrics, relay);
  const refreshSlots = slotGauges(metrics, relay);
  const refreshGauges = () => Promise.all([refreshOutbox(), refreshSlots()]);
  const app = createApp({
    relay,
    log,
    registry: metrics.registry,
    readiness: [
      ready,
      { name: "databases", check: () => relay.ping() },
      readyWhen("kafka-producer", () => publisher.isConnected(), "producer not connected"),
    ],
  });

  await publisher.connect();
  relay.start();
  const gaugeTimer = setInterval(() => void refreshGauges().catch(() => {}), 5000);
  gaugeTimer.unref();
  const listening: [object, string] = [
    { port: env.PORT, databases: env.RELAY_DATABASES.map((d) => d.name) },
    "outbox relay listening",
  ];
  serve(app, { port: env.PORT, log, graceMs: env.SHUTDOWN_GRACE_MS, drainMs: env.SHUTDOWN_DRAIN_MS, listening }, [
    () => broker.close(),
    async () => clearInterval(gaugeTimer),
    () => relay.stop(),
    () => publisher.disconnect(),
    () => tracing.shutdown(),
  ]);
}

/** counts each published batch's rows, per database and per topic */
function batchMetrics(metrics: Metrics): NonNullable<RelayOptions["onBatch"]> {
  const published = metrics.counter({
    name: "orderflow_relay_published_records_total",
    help: "Outbox rows published",
    labelNames: ["database", "topic"],
  });
  const batchSize = metrics.histogram({
    name: "orderflow_relay_batch_size_records",
    help: "Rows per published batch",
    labelNames: ["database"],
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
  });
  return (database, records) => {
    batchSize.observe({ database }, records.length);
    const perTopic = new Map<string, number>();
    for (const r of records) perTopic.set(r.topic, (perTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, n] of perTopic) published.inc({ database, topic }, n);
  };
}

/** crash-after-publish exits after a batch is acknowledged and before it is marked (or confirmed), as a crash there would */
function failpointHooks(failpoint: string | undefined, log: RelayOptions["log"]): Pick<RelayOptions, "afterPublish"> {
  return failpoint === "crash-after-publish"
    ? {
        afterPublish: () => {
          log.warn("failpoint crash-after-publish: exiting before marking or confirming the batch");
          process.exit(86);
        },
      }
    : {};
}

/** the backlog gauges per database, and the refresh that reads them from the relay */
function outboxGauges(metrics: Metrics, relay: Relay): () => Promise<void> {
  const backlog = metrics.gauge({
    name: "orderflow_outbox_backlog_rows",
    help: "Unpublished outbox rows",
    labelNames: ["database"],
  });
  const oldest = metrics.gauge({
    name: "orderflow_outbox_oldest_pending_seconds",
    help: "Age of the oldest unpublished outbox row",
    labelNames: ["database"],
  });
  return async () => {
    for (const s of await relay.status()) {
      backlog.set({ database: s.database }, s.backlog);
      oldest.set({ database: s.database }, s.oldestPendingSeconds);
    }
  };
}

runMain(SERVICE, main);
