// Composition root of the shipping service: the only place that wires configuration, database,
// Kafka, HTTP, the consumer and the dispatcher together.
import { authSettings, kafkaSecurity, retryPolicy } from "@orderflow/config";
import { ping } from "@orderflow/db-kit";
import { createKafkaClient, createPublisher, kafkaReachability, monitorLag } from "@orderflow/kafka";
import { consumerTracing, createLogger, createMetrics, initTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createVerifier, onShutdown, runMain } from "@orderflow/service-kit";
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
  const log = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
  const tracing = initTracing({ service: SERVICE, exporter: env.TRACES_EXPORTER, ...(env.OTLP_TRACES_URL ? { otlpUrl: env.OTLP_TRACES_URL } : {}) });
  const metrics = createMetrics(SERVICE);
  const consumerMetrics = kafkaConsumerMetrics(metrics);
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS, clientId: SERVICE, logger: log, topicPrefix: env.KAFKA_TOPIC_PREFIX, security: kafkaSecurity(env) });
  const publisher = createPublisher(kafka); // dead letters; events leave through the outbox
  const broker = kafkaReachability(kafka);
  const deps: ShippingDeps = { db, clock: () => new Date(), newId: uuidv7, log, dispatchDelayMs: env.SHIPPING_DISPATCH_DELAY_MS };
  const consumer = createOrderEventsConsumer(kafka, publisher, deps, retryPolicy(env), { ...consumerMetrics.observer, ...consumerTracing });

  const app = createApp({
    listShipments: (orderId) => listShipments(db, orderId),
    log,
    registry: metrics.registry,
    verify: createVerifier(authSettings(env)),
    readiness: [
      { name: "kafka", check: () => broker.check() },
      { name: "database", check: () => ping(db) },
      { name: "kafka-consumer", check: () => { if (!consumer.isReady()) throw new Error("consumer group not joined"); } },
    ],
  });

  await publisher.connect();
  await consumer.start();
  const dispatcher = startDispatcher(deps, env.SHIPPING_DISPATCH_POLL_MS);
  deps.onShipmentsDue = (at) => dispatcher.dueAt(at);
  const lag = monitorLag(kafka, ["shipping"], 10_000, consumerMetrics.setLag);
  const server = app.listen(env.PORT, () => log.info({ port: env.PORT }, "shipping service listening"));
  onShutdown({ log, graceMs: env.SHUTDOWN_GRACE_MS, server }, [() => broker.close(), async () => lag.stop(), () => dispatcher.stop(), () => consumer.stop(), () => publisher.disconnect(), () => db.$disconnect(), () => tracing.shutdown()]);
}

runMain(SERVICE, main);
