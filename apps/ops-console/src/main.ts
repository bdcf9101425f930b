// Composition root of the ops console: configuration, a Kafka client for lag and actions, the
// live dead-letter index, Prometheus for the history charts, HTTP for the page and its API.
import { fileURLToPath } from "node:url";
import { authSettings } from "@orderflow/config";
import { createDeadLetterIndex } from "@orderflow/kafka";
import { createLogger, createMetrics } from "@orderflow/observability";
import { createVerifier, readyWhen, runMain, serve, serviceKafka } from "@orderflow/service-kit";
import { createConsole } from "./console.js";
import { loadEnv } from "./env.js";
import { createHistory } from "./history/prometheus.js";
import { createApp } from "./http/app.js";
import { deadLetterMetrics } from "./metrics.js";

const SERVICE = "ops-console";

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ service: SERVICE, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const metrics = createMetrics(SERVICE);
  // its producer carries redrives and discards: audit records and re-published originals
  const { kafka, publisher, broker, ready } = serviceKafka(SERVICE, env, log);
  const index = createDeadLetterIndex(kafka, { log });
  deadLetterMetrics(metrics, index);
  const console = createConsole({
    kafka,
    index,
    publisher,
    orderUrl: env.ORDER_URL,
    relayUrl: env.RELAY_URL,
    healthCacheMs: env.OPS_HEALTH_CACHE_MS,
    maxRedrives: env.OPS_MAX_REDRIVES,
    log,
  });

  const history = createHistory({ prometheusUrl: env.OPS_PROMETHEUS_URL, log });
  // `pnpm dev`: the page from web/ through Vite, reloading on edit; otherwise the built dist/web
  const devPage = env.OPS_PAGE === "vite" ? await (await import("./http/vite-page.js")).createVitePage(log) : undefined;

  const app = createApp({
    console,
    history,
    ...(devPage ? { devPage: devPage.handler } : {}),
    log,
    registry: metrics.registry,
    verify: createVerifier(authSettings(env)),
    // dist/web, whether this runs built (dist/main.js) or from source (src/main.ts)
    webDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    idempotencyTtlMs: env.OPS_IDEMPOTENCY_TTL_HOURS * 3600_000,
    readiness: [
      ready,
      readyWhen("kafka-producer", () => publisher.isConnected(), "producer not connected"),
      { name: "dead-letter-index", check: () => index.caughtUp(1500) },
    ],
  });

  await publisher.connect();
  await index.start();
  if (env.AUTH_MODE === "off") log.warn("AUTH_MODE=off: the console and its actions accept requests without a token");
  const listening: [object, string] = [
    {
      port: env.PORT,
      orderUrl: env.ORDER_URL,
      relayUrl: env.RELAY_URL,
      prometheusUrl: env.OPS_PROMETHEUS_URL,
      page: env.OPS_PAGE,
    },
    "ops console listening",
  ];
  serve(app, { port: env.PORT, log, graceMs: env.SHUTDOWN_GRACE_MS, drainMs: env.SHUTDOWN_DRAIN_MS, listening }, [
    () => broker.close(),
    () => index.stop(),
    () => publisher.disconnect(),
    async () => devPage?.close(),
  ]);
}

runMain(SERVICE, main);
