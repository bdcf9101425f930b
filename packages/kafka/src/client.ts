import fs from "node:fs";
import { Kafka, logLevel, type LogEntry, type SASLOptions } from "kafkajs";
import type { Logger } from "pino";

/** How the client authenticates: SASL (PLAIN or SCRAM) over TLS or plaintext. */
export interface KafkaSecurity {
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string } | undefined;
  /** true: TLS with the system's CAs; caFile: TLS trusting that PEM bundle too */
  tls?: boolean | { caFile: string } | undefined;
}

export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** prepended to every topic name on the broker (an environment, a test run); code keeps
   *  using the registry's names */
  topicPrefix?: string;
  security?: KafkaSecurity;
}

/** Opaque to callers: the rest of the code base never sees kafkajs types. */
export interface KafkaClient {
  readonly clientId: string;
  readonly logger: Logger;
  readonly topicPrefix: string;
  /** the broker's name of a registry topic */
  physical(topic: string): string;
  /** the registry's name of a broker topic */
  logical(topic: string): string;
  /** @internal */
  readonly kafka: Kafka;
}

// kafkajs logs a retriable broker hiccup as ERROR and then retries; the failure that is finally
// handled is logged where it is handled, so its own ERRORs are warnings here.
const LEVELS: Record<number, "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "warn",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

export function createKafkaClient(cfg: KafkaClientConfig): KafkaClient {
  const log = cfg.logger.child({ component: "kafkajs" });
  const sec = cfg.security ?? {};
  const kafka = new Kafka({
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    ...(sec.sasl ? { sasl: { ...sec.sasl } as SASLOptions } : {}),
    ...(sec.tls ? { ssl: sec.tls === true ? true : { ca: [fs.readFileSync(sec.tls.caFile, "utf8")] } } : {}),
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...extra } = entry as LogEntry["log"] & { logger?: string };
        log[LEVELS[level] ?? "info"]({ kafkajs: namespace, ...extra }, message);
      },
  });
  const prefix = cfg.topicPrefix ?? "";
  return {
    clientId: cfg.clientId,
    logger: cfg.logger,
    kafka,
    topicPrefix: prefix,
    physical: (t) => prefix + t,
    logical: (t) => (prefix && t.startsWith(prefix) ? t.slice(prefix.length) : t),
  };
}
