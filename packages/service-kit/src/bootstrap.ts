// What every service's main.ts starts from, so that each keeps only what is its own: logs, metrics
// and traces; a Kafka client with its producer; readiness checks; consumers started, watched for
// lag and stopped; and the HTTP server with graceful shutdown.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { kafkaSecurity } from "@orderflow/config";
import {
  createKafkaClient,
  createPublisher,
  kafkaReachability,
  monitorLag,
  type KafkaClient,
  type Publisher,
} from "@orderflow/kafka";
import {
  createLogger,
  createMetrics,
  initTracing,
  type LogFormat,
  type Logger,
  type TracesExporter,
} from "@orderflow/observability";
import { drainableServer } from "./drain.js";
import type { ReadinessCheck } from "./health.js";
import { onShutdown, type ShutdownOptions } from "./shutdown.js";
import type { Express } from "express";

type TelemetryEnv = {
  LOG_LEVEL: string;
  LOG_FORMAT: LogFormat;
  TRACES_EXPORTER: TracesExporter;
  OTLP_TRACES_URL?: string | undefined;
  DEPLOYMENT_ENVIRONMENT: string;
};
type KafkaEnv = Parameters<typeof kafkaSecurity>[0] & { KAFKA_BROKERS: string[]; KAFKA_TOPIC_PREFIX: string };

/** The version in the package.json one folder above the main module (its src/ or dist/). */
function packageVersion(mainUrl: string): string {
  const file = new URL("../package.json", mainUrl);
  const { version } = JSON.parse(readFileSync(file, "utf8")) as { version?: unknown };
  if (typeof version !== "string") throw new Error(`${fileURLToPath(file)} has no version`);
  return version;
}

/** The service's logger, its traces (exported as TRACES_EXPORTER says, with the service's name,
 *  version and DEPLOYMENT_ENVIRONMENT as their resource) and its metrics registry. */
function serviceTelemetry(service: string, env: TelemetryEnv, version: string) {
  const log = createLogger({ service, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const tracing = initTracing({
    service,
    version,
    environment: env.DEPLOYMENT_ENVIRONMENT,
    exporter: env.TRACES_EXPORTER,
    ...(env.OTLP_TRACES_URL ? { otlpUrl: env.OTLP_TRACES_URL } : {}),
  });
  return { log, tracing, metrics: createMetrics(service) };
}

/** The service's Kafka client, one producer and the broker's reachability, with `ready`, the
 *  readiness check that asks the broker. */
export function serviceKafka(service: string, env: KafkaEnv, log: Logger) {
  const security = kafkaSecurity(env);
  const kafka = createKafkaClient({
    brokers: env.KAFKA_BROKERS,
    clientId: service,
    logger: log,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    security,
  });
  const publisher = createPublisher(kafka);
  const broker = kafkaReachability(kafka);
  return { kafka, publisher, broker, ready: { name: "kafka", check: () => broker.check() } satisfies ReadinessCheck };
}

/** What a Kafka-connected service that traces its work starts from: serviceTelemetry's logger,
 *  traces and metrics, and serviceKafka's client, producer and broker check. `mainUrl` is the
 *  main module's import.meta.url: the service's version is its package's. */
export function kafkaService(service: string, env: TelemetryEnv & KafkaEnv, mainUrl: string) {
  const telemetry = serviceTelemetry(service, env, packageVersion(mainUrl));
  return { ...telemetry, ...serviceKafka(service, env, telemetry.log) };
}

/** A readiness check that fails, saying `notReady`, while `isReady()` is false. */
export function readyWhen(name: string, isReady: () => boolean, notReady: string): ReadinessCheck {
  return {
    name,
    check: () => {
      if (!isReady()) throw new Error(notReady);
    },
  };
}

interface Consumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Connects the producer (it carries the dead letters), starts the consumers one after another and
 *  reports their groups' lag every 10 s. stop() ends the lag reports, stops the consumers together,
 *  then disconnects the producer. */
export async function startConsuming(
  kafka: KafkaClient,
  publisher: Publisher,
  consumers: Consumer[],
  groups: string[],
  reportLag: Parameters<typeof monitorLag>[3],
) {
  await publisher.connect();
  for (const consumer of consumers) await consumer.start();
  const monitor = monitorLag(kafka, groups, 10_000, reportLag);
  return {
    async stop(): Promise<void> {
      monitor.stop();
      await Promise.all(consumers.map((c) => c.stop()));
      await publisher.disconnect();
    },
  };
}

/** Serves `app` on `port`, logging `listening` once it does; on SIGTERM/SIGINT drains for
 *  `drainMs` (/readyz 503, requests still served), stops taking requests, then runs `steps` in
 *  order within the grace period. */
export function serve(
  app: Express,
  opts: Omit<ShutdownOptions, "server" | "delay"> & {
    port: number;
    graceMs: number;
    listening: [fields: object, message: string];
  },
  steps: (() => Promise<unknown>)[],
): void {
  const { port, listening, ...shutdown } = opts;
  const server = drainableServer(app);
  // a port in use is a failed start, not a service running without its HTTP side
  server.server.once("error", (err) => {
    opts.log.fatal({ err, port }, "failed to start");
    process.exit(1);
  });
  server.server.listen(port, () => opts.log.info(listening[0], listening[1]));
  onShutdown({ ...shutdown, server }, steps);
}
