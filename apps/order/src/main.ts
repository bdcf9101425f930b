// Composition root of the order service: the only place that wires configuration, database,
// Kafka, HTTP and the consumer together.
import { authSettings, kafkaSecurity, retryPolicy } from "@orderflow/config";
import { ping } from "@orderflow/db-kit";
import { createKafkaClient, createPublisher, kafkaReachability, monitorLag } from "@orderflow/kafka";
import { consumerTracing, createLogger, createMetrics, initTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createVerifier, onShutdown, runMain } from "@orderflow/service-kit";
import { v7 as uuidv7 } from "uuid";
import { createOrderApi } from "./commands/api.js";
import { SERVICE, type OrderDeps } from "./commands/execute.js";
import { sweepExpiredKeys } from "./commands/idempotent.js";
import { createProjectionConsumer } from "./projection/consumer.js";
import { createDb } from "./db/client.js";
import { loadEnv } from "./env.js";
import { createSagaConsumer } from "./events/saga-consumer.js";
import { createApp } from "./http/app.js";

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
  const tracing = initTracing({ service: SERVICE, exporter: env.TRACES_EXPORTER, ...(env.OTLP_TRACES_URL ? { otlpUrl: env.OTLP_TRACES_URL } : {}) });
  const metrics = createMetrics(SERVICE);
  const consumerMetrics = kafkaConsumerMetrics(metrics);
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS, clientId: SERVICE, logger: log, topicPrefix: env.KAFKA_TOPIC_PREFIX, security: kafkaSecurity(env) });
  // the order service publishes only through its outbox; this producer carries dead letters
  const publisher = createPublisher(kafka);
  const broker = kafkaReachability(kafka);
  const deps: OrderDeps = { db, clock: () => new Date(), newId: uuidv7, log, idempotencyTtlMs: env.HTTP_IDEMPOTENCY_TTL_HOURS * 3600_000 };
  const consumer = createSagaConsumer(kafka, publisher, deps, retryPolicy(env), { ...consumerMetrics.observer, ...consumerTracing });
  const projection = createProjectionConsumer(kafka, publisher, db, retryPolicy(env), { ...consumerMetrics.observer, ...consumerTracing });

  const app = createApp({
    api: createOrderApi(deps, { client: kafka, publisher }),
    log,
    registry: metrics.registry,
    verify: createVerifier(authSettings(env)),
    rateLimitPerSecond: env.HTTP_RATE_LIMIT_PER_SECOND,
    readiness: [
      { name: "kafka", check: () => broker.check() },
      { name: "database", check: () => ping(db) },
      { name: "kafka-consumer", check: () => { if (!consumer.isReady()) throw new Error("consumer group not joined"); } },
      { name: "projection", check: () => { if (!projection.isReady()) throw new Error("projection group not joined"); } },
    ],
  });

  await publisher.connect();
  await consumer.start();
  await projection.start();
  const lag = monitorLag(kafka, ["order", "order-projection"], 10_000, consumerMetrics.setLag);
  const keySweep = sweepExpiredKeys(deps, env.HTTP_IDEMPOTENCY_SWEEP_MS);
  if (env.AUTH_MODE === "off") log.warn("AUTH_MODE=off: the order API accepts requests without a token");
  const server = app.listen(env.PORT, () => log.info({ port: env.PORT, auth: env.AUTH_MODE === "off" ? "off" : env.AUTH_JWT_ALGORITHM }, "order service listening"));
  onShutdown({ log, graceMs: env.SHUTDOWN_GRACE_MS, server }, [() => broker.close(), async () => lag.stop(), async () => keySweep.stop(), () => Promise.all([consumer.stop(), projection.stop()]), () => publisher.disconnect(), () => db.$disconnect(), () => tracing.shutdown()]);
}

runMain(SERVICE, main);
