// Composition root of the payment service: the only place that wires configuration, database,
// gateway, Kafka, HTTP and the consumer together.
// first: the pg instrumentation must be registered before anything loads `pg`
import "@orderflow/observability/instrument";
import { authSettings, retryPolicy } from "@orderflow/config";
import { databaseConsumers, ping } from "@orderflow/db-kit";
import { crashAfterHandled, serviceConsumers } from "@orderflow/kafka";
import { consumerTracing, kafkaConsumerMetrics } from "@orderflow/observability";
import { createVerifier, kafkaService, readyWhen, runMain, serve, startConsuming } from "@orderflow/service-kit";
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
  // its producer carries dead letters; events leave through the outbox
  const { log, metrics, tracing, kafka, publisher, broker, ready } = kafkaService(SERVICE, env, import.meta.url);
  const consumerMetrics = kafkaConsumerMetrics(metrics);
  const db = createDb(env.DATABASE_URL, env.DATABASE_POOL_SIZE);
  const gateway = new HttpPaymentGateway({
    baseUrl: env.PAYMENT_PROVIDER_URL,
    timeoutMs: env.PAYMENT_PROVIDER_TIMEOUT_MS,
    unavailable: env.PAYMENT_GATEWAY_FAILPOINT === "unavailable",
  });
  const failpoint = env.PAYMENT_CONSUMER_FAILPOINT;
  const deps: PaymentDeps = {
    db,
    gateway,
    clock: () => new Date(),
    newId: uuidv7,
    log,
    ...(failpoint?.kind === "crash-after-provider"
      ? { afterProviderAnswered: crashAfterProviderAnswers(failpoint.n, log) }
      : {}),
  };
  if (env.PAYMENT_GATEWAY_FAILPOINT)
    log.warn({ failpoint: env.PAYMENT_GATEWAY_FAILPOINT }, "fault injection enabled: every gateway call fails");
  const observer = { ...consumerMetrics.observer, ...consumerTracing };
  if (env.PAYMENT_CONSUMER_FAILPOINT)
    log.warn({ failpoint: env.PAYMENT_CONSUMER_FAILPOINT }, "fault injection enabled: the consumer kills its process");
  const crashing = failpoint?.kind === "crash-after-handled" ? crashAfterHandled(observer, failpoint.n, log) : observer;
  const consumers = serviceConsumers(kafka, publisher, {
    retry: retryPolicy(env),
    observer: crashing,
    ...databaseConsumers(db, log),
  });
  const consumer = createOrderEventsConsumer(consumers, deps);

  const verify = createVerifier(authSettings(env));
  const joined = readyWhen("kafka-consumer", () => consumer.isReady(), "consumer group not joined");
  const readiness = [ready, { name: "database", check: () => ping(db) }, joined];
  const app = createApp({ list: (id) => listPayments(db, id), log, registry: metrics.registry, verify, readiness });

  const consuming = await startConsuming(kafka, publisher, [consumer], ["payment"], consumerMetrics.setLag);
  serve(
    app,
    {
      port: env.PORT,
      log,
      graceMs: env.SHUTDOWN_GRACE_MS,
      drainMs: env.SHUTDOWN_DRAIN_MS,
      listening: [{ port: env.PORT, providerUrl: env.PAYMENT_PROVIDER_URL }, "payment service listening"],
    },
    [() => broker.close(), () => consuming.stop(), () => db.$disconnect(), () => tracing.shutdown()],
  );
}

runMain(SERVICE, main);
