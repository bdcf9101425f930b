// In-memory stand-ins for kafkajs and the broker, for the consumer parts' unit tests.
import { randomUUID } from "node:crypto";
import { createEvent, eventHeaders, type OrderflowEvent } from "@orderflow/contracts";
import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import { pino } from "pino";
import type { BatchIo } from "../src/consumer/io.js";
import type { RetryDeps } from "../src/consumer/retries.js";
import type { RunHandler } from "../src/consumer/types.js";
import { defaultErrorClassifier } from "../src/errors.js";
import type { OutgoingRecord } from "../src/records.js";

export const silent = pino({ level: "silent" });

export const refunded = (orderId = randomUUID()): OrderflowEvent =>
  createEvent(
    "PaymentRefunded",
    { orderId, paymentId: randomUUID(), amount: 100, currency: "EUR" },
    {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: `corr-${orderId}`,
      causationId: null,
      source: "test",
    },
  );

/** a record as kafkajs hands it over: an event, or raw bytes */
export function message(
  offset: number,
  body: OrderflowEvent | string,
  opts: { key?: string; headers?: Record<string, string> } = {},
): KafkaMessage {
  const isEvent = typeof body !== "string";
  const key = opts.key ?? (isEvent ? body.aggregateId : "k");
  const headers = { ...(isEvent ? eventHeaders(body) : {}), ...opts.headers };
  return {
    key: Buffer.from(key),
    value: Buffer.from(isEvent ? JSON.stringify(body) : body),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    offset: String(offset),
    timestamp: "1700000000000",
    attributes: 0,
    size: 0,
  } as unknown as KafkaMessage;
}

export const io = (keepGoing = () => true): BatchIo => ({ heartbeat: async () => {}, keepGoing });

export function retryDeps(handler: RunHandler, over: Partial<RetryDeps> = {}): RetryDeps {
  return {
    handler,
    errors: defaultErrorClassifier,
    policy: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2, maxTotalMs: 10_000 },
    group: "g",
    ...over,
  };
}

/** a publisher that records what it sent, failing the first `failures` sends */
export function fakePublisher(failures = 0): {
  send(records: OutgoingRecord[]): Promise<{ partition: number; offset: string }[]>;
  sent: OutgoingRecord[];
  tries: number;
} {
  const p = {
    sent: [] as OutgoingRecord[],
    tries: 0,
    async send(records: OutgoingRecord[]) {
      if (++p.tries <= failures) throw new Error("broker away");
      p.sent.push(...records);
      return records.map((_, i) => ({ partition: 0, offset: String(p.sent.length - records.length + i) }));
    },
  };
  return p;
}

/** one partition batch as kafkajs hands it to eachBatch */
export function fakeBatch(
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  running = () => true,
): EachBatchPayload & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    batch: { topic, partition, messages },
    resolved,
    resolveOffset: (o: string) => void resolved.push(o),
    heartbeat: async () => {},
    isRunning: running,
    isStale: () => false,
  } as unknown as EachBatchPayload & { resolved: string[] };
}

export const ECONNREFUSED = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
