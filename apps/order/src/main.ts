// Composition root of the order service: the only place that wires configuration, database,
// Kafka, HTTP and the saga consumer together. The read model is kept by the order projection, a
// process of its own (projection-main.ts).
// first: the pg instrumentation must be registered before anything loads `pg`
import "@orderflow/observability/instrument";
import { authSettings, retryPolicy } from "@orderflow/config";
import { databaseConsumers, ping } from "@orderflow/db-kit";
import { serviceConsumers } from "@orderflow/kafka";
import { consumerTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createVerifier, kafkaService, readyWhen, runMain, serve, startConsuming } from "@orderflow/service-kit";
import { v7 as uuidv7 } from "uuid";
import { createOrderApi } from "./commands/api.js";
import { SERVICE, type OrderDeps } from "./commands/execute.js";
import { sweepExpiredKeys } from "./commands/idempotent.js";
import { createDb } from "./db/client.js";
import { loadEnv } from "./env.js";
import { createSagaConsumer } from "./events/saga-consumer.js";
import { createApp } from "./http/app.js";
import { sagaDurations } from "./saga-metrics.js";

async function main(): Promise<void> {
  const env = loadEnv();
  // the order service publishes only through its outbox; this producer carries dead letters
  const { log, metrics, tracing, kafka, publisher, broker, ready } = kafkaService(SERVICE, env, import.meta.url);
  const consumerMetrics = kafkaConsumerMetrics(metrics);
  const observer = { ...consumerMetrics.observer, ...consumerTracing };
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const idempotencyTtlMs = env.HTTP_IDEMPOTENCY_TTL_HOURS * 3600_000;
  const deps: OrderDeps = { db, log, clock: () => new Date(), newId: uuidv7, idempotencyTtlMs };
  const consumers = serviceConsumers(kafka, publisher, {
    retry: retryPolicy(env),
    observer,
    ...databaseConsumers(db, log),
  });
  const consumer = createSagaConsumer(consumers, { ...deps, sagaEnded: sagaDurations(metrics) });

  const app = createApp({
    api: createOrderApi(deps, { client: kafka, publisher }),
    log,
    registry: metrics.registry,
    verify: createVerifier(authSettings(env)),
    rateLimitPerSecond: env.HTTP_RATE_LIMIT_PER_SECOND,
    readiness: [
      ready,
      { name: "database", check: () => ping(db) },
      readyWhen("kafka-consumer", () => consumer.isReady(), "consumer group not joined"),
    ],
  });

  const consuming = await startConsuming(kafka, publisher, [consumer], ["order"], consumerMetrics.setLag);
  const keySweep = sweepExpiredKeys(deps, env.HTTP_IDEMPOTENCY_SWEEP_MS);
  if (env.AUTH_MODE === "off") log.warn("AUTH_MODE=off: the order API accepts requests without a token");
  const auth = env.AUTH_MODE === "off" ? "off" : env.AUTH_JWT_ALGORITHM;
  serve(
    app,
    {
      port: env.PORT,
      log,
      graceMs: env.SHUTDOWN_GRACE_MS,
      drainMs: env.SHUTDOWN_DRAIN_MS,
      listening: [{ port: env.PORT, auth }, "order service listening"],
    },
    [
      () => broker.close(),
      async () => keySweep.stop(),
      () => consuming.stop(),
      () => db.$disconnect(),
      () => tracing.shutdown(),
    ],
  );
}

runMain(SERVICE, main);
