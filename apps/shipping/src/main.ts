// Composition root of the shipping service: the only place that wires configuration, database,
// Kafka, HTTP, the consumer and the dispatcher together.
// first: the pg instrumentation must be registered before anything loads `pg`
import "@orderflow/observability/instrument";
import { authSettings, retryPolicy } from "@orderflow/config";
import { databaseConsumers, ping } from "@orderflow/db-kit";
import { serviceConsumers } from "@orderflow/kafka";
import { consumerTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createVerifier, kafkaService, readyWhen, runMain, serve, startConsuming } from "@orderflow/service-kit";
import { v7 as uuidv7 } from "uuid";
import { SERVICE, type ShippingDeps } from "./commands/deps.js";
import { startDispatcher } from "./commands/dispatch-due.js";
import { listShipments } from "./commands/list-shipments.js";
import { createDb } from "./db/client.js";
import { loadEnv } from "./env.js";
import { createOrderEventsConsumer } from "./events/order-events-consumer.js";
import { createApp } from "./http/app.js";

async function main(): Promise<void> {
  const env = loadEnv();
  // its producer carries dead letters; events leave through the outbox
  const { log, metrics, tracing, kafka, publisher, broker, ready } = kafkaService(SERVICE, env, import.meta.url);
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const deps: ShippingDeps = {
    db,
    clock: () => new Date(),
    newId: uuidv7,
    log,
    dispatchDelayMs: env.SHIPPING_DISPATCH_DELAY_MS,
  };
  const consumerMetrics = kafkaConsumerMetrics(metrics);
  const observer = { ...consumerMetrics.observer, ...consumerTracing };
  const consumer = createOrderEventsConsumer(
    serviceConsumers(kafka, publisher, { retry: retryPolicy(env), observer, ...databaseConsumers(db, log) }),
    deps,
  );
  const verify = createVerifier(authSettings(env));
  const joined = readyWhen("kafka-consumer", () => consumer.isReady(), "consumer group not joined");
  const readiness = [ready, { name: "database", check: () => ping(db) }, joined];
  const app = createApp({ list: (id) => listShipments(db, id), log, registry: metrics.registry, verify, readiness });

  const consuming = await startConsuming(kafka, publisher, [consumer], ["shipping"], consumerMetrics.setLag);
  const dispatcher = startDispatcher(deps, env.SHIPPING_DISPATCH_POLL_MS);
  deps.onShipmentsDue = (at) => dispatcher.dueAt(at);
  const steps = [
    () => broker.close(),
    () => dispatcher.stop(),
    () => consuming.stop(),
    () => db.$disconnect(),
    () => tracing.shutdown(),
  ];
  serve(
    app,
    {
      port: env.PORT,
      log,
      graceMs: env.SHUTDOWN_GRACE_MS,
      drainMs: env.SHUTDOWN_DRAIN_MS,
      listening: [{ port: env.PORT }, "shipping service listening"],
    },
    steps,
  );
}

runMain(SERVICE, main);
