// Composition root of the payment service: the only place that wires configuration, database,
// gateway, Kafka, HTTP and the consumer together.
import { authSettings, kafkaSecurity, retryPolicy } from "@orderflow/config";
import { ping } from "@orderflow/db-kit";
import { crashAfterHandled, createKafkaClient, createPublisher, kafkaReachability, monitorLag } from "@orderflow/kafka";
import { consumerTracing, createLogger, createMetrics, initTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createVerifier, onShutdown, runMain } from "@orderflow/service-kit";
import { v7 as uuidv7 } from "uuid";
import { crashAfterProviderAnswers, SERVICE, type PaymentDeps } from "./commands/handle-order-event.js";
import { listPayments } from "./commands/list-payments.js";
import { createDb } from "./db/client.js";
import { loadEnv } from "./env.js";
import { createOrderEventsConsumer } from "./events/order-events-consumer.js";
import { HttpPaymentGateway } from "./gateway/http-gateway.js";
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
  const gateway = new HttpPaymentGateway({ baseUrl: env.PAYMENT_PROVIDER_URL, timeoutMs: env.PAYMENT_PROVIDER_TIMEOUT_MS, unavailable: env.PAYMENT_GATEWAY_FAILPOINT === "unavailable" });
  const failpoint = env.PAYMENT_CONSUMER_FAILPOINT;
  const deps: PaymentDeps = { db, gateway, clock: () => new Date(), newId: uuidv7, log, ...(failpoint?.kind === "crash-after-provider" ? { afterProviderAnswered: crashAfterProviderAnswers(failpoint.n, log) } : {}) };
  if (env.PAYMENT_GATEWAY_FAILPOINT) log.warn({ failpoint: env.PAYMENT_GATEWAY_FAILPOINT }, "fault injection enabled: every gateway call fails");
  const observer = { ...consumerMetrics.observer, ...consumerTracing };
  if (env.PAYMENT_CONSUMER_FAILPOINT) log.warn({ failpoint: env.PAYMENT_CONSUMER_FAILPOINT }, "fault injection enabled: the consumer kills its process");
  const consumer = createOrderEventsConsumer(kafka, publisher, deps, retryPolicy(env), failpoint?.kind === "crash-after-handled" ? crashAfterHandled(observer, failpoint.n, log) : observer);

  const app = createApp({
    listPayments: (orderId) => listPayments(db, orderId),
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
  const lag = monitorLag(kafka, ["payment"], 10_000, consumerMetrics.setLag);
  const server = app.listen(env.PORT, () => log.info({ port: env.PORT, providerUrl: env.PAYMENT_PROVIDER_URL }, "payment service listening"));
  onShutdown({ log, graceMs: env.SHUTDOWN_GRACE_MS, server }, [() => broker.close(), async () => lag.stop(), () => consumer.stop(), () => publisher.disconnect(), () => db.$disconnect(), () => tracing.shutdown()]);
}

runMain(SERVICE, main);
