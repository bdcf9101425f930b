// Composition root of the order projection: the `order-projection` consumer group in a process of
// its own, so applying events to the read model never queues behind the API or the saga on one
// event loop. Same database and configuration as the order service; it serves only health and
// metrics, on PROJECTION_PORT.
// first: the pg instrumentation must be registered before anything loads `pg`
import "@orderflow/observability/instrument";
import { retryPolicy } from "@orderflow/config";
import { databaseConsumers, ping } from "@orderflow/db-kit";
import { serviceConsumers } from "@orderflow/kafka";
import { consumerTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createServiceApp, kafkaService, readyWhen, runMain, serve, startConsuming } from "@orderflow/service-kit";
import { createDb } from "./db/client.js";
import { loadEnv } from "./env.js";
import { createProjectionConsumer } from "./projection/consumer.js";
import { PROJECTION_GROUP } from "./projection/replay.js";

const SERVICE = "order-projection";

async function main(): Promise<void> {
  const env = loadEnv();
  // the producer carries the projection's dead letters
  const { log, metrics, tracing, kafka, publisher, broker, ready } = kafkaService(SERVICE, env, import.meta.url);
  const consumerMetrics = kafkaConsumerMetrics(metrics);
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const consumers = serviceConsumers(kafka, publisher, {
    retry: retryPolicy(env),
    observer: { ...consumerMetrics.observer, ...consumerTracing },
    ...databaseConsumers(db, log),
  });
  const projection = createProjectionConsumer(consumers, db);
  const app = createServiceApp(
    {
      log,
      registry: metrics.registry,
      readiness: [
        ready,
        { name: "database", check: () => ping(db) },
        readyWhen("projection", () => projection.isReady(), "projection group not joined"),
      ],
    },
    () => {},
  );
  const consuming = await startConsuming(kafka, publisher, [projection], [PROJECTION_GROUP], consumerMetrics.setLag);
  serve(
    app,
    {
      port: env.PROJECTION_PORT,
      log,
      graceMs: env.SHUTDOWN_GRACE_MS,
      drainMs: env.SHUTDOWN_DRAIN_MS,
      listening: [{ port: env.PROJECTION_PORT }, "order projection listening"],
    },
    [() => broker.close(), () => consuming.stop(), () => db.$disconnect(), () => tracing.shutdown()],
  );
}

runMain(SERVICE, main);
