// Composition root of the ops console: configuration, a Kafka client for lag and actions, the
// live dead-letter index, HTTP for the page and its API.
import { fileURLToPath } from "node:url";
import { authSettings, kafkaSecurity } from "@orderflow/config";
import { createDeadLetterIndex, createKafkaClient, createPublisher, kafkaReachability } from "@orderflow/kafka";
import { createLogger, createMetrics } from "@orderflow/observability";
import { createVerifier, onShutdown, runMain } from "@orderflow/service-kit";
import { createConsole } from "./console.js";
import { loadEnv } from "./env.js";
import { createApp } from "./http/app.js";

const SERVICE = "ops-console";

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS, clientId: SERVICE, logger: log, topicPrefix: env.KAFKA_TOPIC_PREFIX, security: kafkaSecurity(env) });
  // redrives and discards: audit records and re-published originals
  const publisher = createPublisher(kafka);
  const index = createDeadLetterIndex(kafka, { log });
  const broker = kafkaReachability(kafka);
  const console = createConsole({ kafka, index, publisher, orderUrl: env.ORDER_URL, relayUrl: env.RELAY_URL, healthCacheMs: env.OPS_HEALTH_CACHE_MS, maxRedrives: env.OPS_MAX_REDRIVES, log });

  const app = createApp({
    console,
    log,
    registry: metrics.registry,
    verify: createVerifier(authSettings(env)),
    // dist/web, whether this runs built (dist/main.js) or from source under `pnpm dev` (src/main.ts)
    webDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    idempotencyTtlMs: env.OPS_IDEMPOTENCY_TTL_HOURS * 3600_000,
    readiness: [
      { name: "kafka", check: () => broker.check() },
      { name: "kafka-producer", check: () => { if (!publisher.isConnected()) throw new Error("producer not connected"); } },
      { name: "dead-letter-index", check: () => index.caughtUp(1500) },
    ],
  });

  await publisher.connect();
  await index.start();
  if (env.AUTH_MODE === "off") log.warn("AUTH_MODE=off: the console and its actions accept requests without a token");
  const server = app.listen(env.PORT, () => log.info({ port: env.PORT, orderUrl: env.ORDER_URL, relayUrl: env.RELAY_URL }, "ops console listening"));
  onShutdown({ log, graceMs: env.SHUTDOWN_GRACE_MS, server }, [() => broker.close(), () => index.stop(), () => publisher.disconnect()]);
}

runMain(SERVICE, main);
