// Composition root of the order service: the only place that wires configuration, database,
// Kafka, HTTP and the consumer together.
import { retryPolicy } from "@orderflow/config";
import { createKafkaClient, createPublisher } from "@orderflow/kafka";
import { createLogger, createMetrics, onShutdown, runMain } from "@orderflow/observability";
import { v7 as uuidv7 } from "uuid";
import { cancelOrder } from "./commands/cancel-order.js";
import { getOrder } from "./commands/get-order.js";
import { SERVICE, type OrderDeps } from "./commands/execute.js";
import { placeOrder } from "./commands/place-order.js";
import { createDb } from "./db/client.js";
import { loadEnv } from "./env.js";
import { createSagaConsumer } from "./events/saga-consumer.js";
import { createApp } from "./http/app.js";

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS, clientId: SERVICE, logger: log, topicPrefix: env.KAFKA_TOPIC_PREFIX });
  // the order service publishes only through its outbox; this producer carries dead letters
  const publisher = createPublisher(kafka);
  const deps: OrderDeps = { db, clock: () => new Date(), newId: uuidv7, log };
  const consumer = createSagaConsumer(kafka, publisher, deps, retryPolicy(env));

  const app = createApp({
    api: {
      placeOrder: (input, meta) => placeOrder(deps, input, meta),
      cancelOrder: (id, detail, meta) => cancelOrder(deps, id, detail, meta),
      getOrder: (id) => getOrder(deps, id),
    },
    log,
    registry: metrics.registry,
    readiness: [
      { name: "database", check: async () => void (await db.$queryRaw`SELECT 1`) },
      { name: "kafka-consumer", check: () => { if (!consumer.isReady()) throw new Error("consumer group not joined"); } },
    ],
  });

  await publisher.connect();
  await consumer.start();
  const server = app.listen(env.PORT, () => log.info({ port: env.PORT }, "order service listening"));
  onShutdown({ log, graceMs: env.SHUTDOWN_GRACE_MS, server }, [() => consumer.stop(), () => publisher.disconnect(), () => db.$disconnect()]);
}

runMain(SERVICE, main);
