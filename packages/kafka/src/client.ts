import { Kafka, logLevel, type LogEntry } from "kafkajs";
import type { Logger } from "pino";

export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

/** Opaque to callers: the rest of the code base never sees kafkajs types. */
export interface KafkaClient {
  readonly clientId: string;
  readonly logger: Logger;
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
  const kafka = new Kafka({
    clientId: cfg.clientId,
    brokers: cfg.brokers,
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
  return { clientId: cfg.clientId, logger: cfg.logger, kafka };
}
