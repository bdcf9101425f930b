// `pnpm orderflow lag` reports the numbers Kafka's own kafka-consumer-groups --describe does.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { createEvent } from "@orderflow/contracts";
import {
  consumerGroupLag,
  createEventConsumer,
  createKafkaClient,
  createPublisher,
  deletePrefixedTopics,
  ensureTopics,
  recordForEvent,
} from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackEnv } from "../src/env.js";

const stack = loadStackEnv();
const bootstrap = `${stack.KAFKA_HOST}:${stack.KAFKA_PORT}`;
const prefix = `test-lag-${randomUUID().slice(0, 8)}.`;
const client = createKafkaClient({
  brokers: [bootstrap],
  clientId: "lag-test",
  logger: pino({ level: "silent" }),
  topicPrefix: prefix,
});

/** kafka-consumer-groups.sh --describe, from the broker's own jars */
async function kafkaTool(
  group: string,
): Promise<{ topic: string; partition: number; current: string; end: string; lag: string }[]> {
  const libs = path.join(stack.ORDERFLOW_STACK_DIR, "kafka", "libs", "*");
  const { stdout } = await promisify(execFile)(
    "java",
    [
      "-cp",
      libs,
      "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
      "--bootstrap-server",
      bootstrap,
      "--describe",
      "--group",
      group,
    ],
    { maxBuffer: 1 << 20 },
  );
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c[0] === group)
    .map((c) => ({ topic: c[1]!, partition: Number(c[2]), current: c[3]!, end: c[4]!, lag: c[5]! }));
}

let stopConsumer: () => Promise<void>;

beforeAll(async () => {
  await ensureTopics(client);
  const p = createPublisher(client);
  await p.connect();
  const meta = () => ({
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    correlationId: "lag",
    causationId: null,
    source: "test",
  });
  const ids = Array.from({ length: 12 }, () => randomUUID());
  await p.send(
    ids.map((orderId) =>
      recordForEvent(
        createEvent("PaymentRefunded", { orderId, paymentId: orderId, amount: 1, currency: "EUR" }, meta()),
      ),
    ),
  );
  // consume a few, then stop: some partitions end with lag, some without
  let handled = 0;
  const c = createEventConsumer(client, p, {
    groupId: "lag-check",
    topics: ["payment-events"],
    commitEvery: 1,
    runs: { maxRecords: 1, maxCombinedRecords: 1 },
    handler: async (run) => void (handled += run.length),
  });
  await c.start();
  while (handled < 5) await new Promise((r) => setTimeout(r, 50));
  await c.stop();
  stopConsumer = async () => p.disconnect();
  await p.send(
    ids
      .slice(0, 6)
      .map((orderId) =>
        recordForEvent(
          createEvent("PaymentRefunded", { orderId, paymentId: orderId, amount: 2, currency: "EUR" }, meta()),
        ),
      ),
  );
});

afterAll(async () => {
  await stopConsumer?.();
  await deletePrefixedTopics(client);
});

describe("consumer lag", () => {
  it("matches kafka-consumer-groups --describe partition by partition", async () => {
    const ours = await consumerGroupLag(client, "lag-check");
    const theirs = await kafkaTool(`${prefix}lag-check`);
    // for a group with no live member the tool lists the partitions it has committed on
    expect(theirs.length).toBeGreaterThan(0);
    expect(
      ours
        .filter((p) => p.committedOffset !== "-1")
        .map((p) => ({
          topic: `${prefix}${p.topic}`,
          partition: p.partition,
          current: p.committedOffset === "-1" ? "-" : p.committedOffset,
          end: p.logEndOffset,
          lag: p.lag === null ? "-" : String(p.lag),
        })),
    ).toEqual(theirs.sort((a, b) => a.partition - b.partition));
    expect(ours.reduce((s, p) => s + (p.lag ?? 0), 0)).toBeGreaterThan(0);
  }, 60_000);
});
