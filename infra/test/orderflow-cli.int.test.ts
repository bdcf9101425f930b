// `pnpm orderflow dlt …` end to end on the real broker, in a topic prefix of its own.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  createKafkaClient,
  createPublisher,
  deadLetterRecord,
  deletePrefixedTopics,
  ensureTopics,
  readTopic,
} from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const prefix = `test-cli-${randomUUID().slice(0, 8)}.`;
const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const client = createKafkaClient({
  brokers: brokers.split(","),
  clientId: "cli-test",
  logger: pino({ level: "silent" }),
  topicPrefix: prefix,
});
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/orderflow.ts");

async function orderflow(...args: string[]) {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", cli, ...args], {
    env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, ORDERFLOW_OPERATOR: "ops-test" },
  });
  return stdout;
}

const key = randomUUID();

beforeAll(async () => {
  await ensureTopics(client);
  const p = createPublisher(client);
  await p.connect();
  const at = new Date("2026-01-01T00:00:00Z");
  await p.send([
    deadLetterRecord(
      {
        topic: "order-events",
        partition: 2,
        offset: "17",
        timestamp: "1767225600000",
        key: Buffer.from(key),
        value: Buffer.from('{"broken":true}'),
        headers: { "event-id": "e-1", "event-type": "OrderPlaced" },
      },
      "payment",
      {
        errorClass: "InvalidEvent",
        errorMessage: "OrderPlaced v1: data.currency: invalid",
        attempts: 1,
        firstFailureAt: at,
        lastFailureAt: at,
      },
    ),
  ]);
  await p.disconnect();
});

afterAll(async () => {
  await deletePrefixedTopics(client);
});

describe("pnpm orderflow dlt", () => {
  it("lists, redrives to the failed group only, and records the audit trail", async () => {
    const listed = JSON.parse(await orderflow("dlt", "list", "--group", "payment", "--json"));
    expect(listed).toEqual([
      expect.objectContaining({
        id: "order-events.payment.dlt:0:0",
        state: "pending",
        key,
        errorClass: "InvalidEvent",
        originalTopic: "order-events",
        originalOffset: "17",
        eventType: "OrderPlaced",
      }),
    ]);
    expect(await orderflow("dlt", "list", "--group", "payment")).toMatch(/order-events\.payment\.dlt:0:0\s+pending/);

    const out = await orderflow("dlt", "redrive", "--group", "payment", "--key", key);
    expect(out).toMatch(/audit: \S+ ops-test redrive order-events\.payment\.dlt:0:0 \(group payment/);
    expect(out).toMatch(`keys released: ${key}`);

    const back = await readTopic(client, "order-events", { until: (rs) => rs.length >= 2 });
    expect(back[0]!.value?.toString()).toBe('{"broken":true}');
    expect(back[0]!.headers).toMatchObject({
      "event-id": "e-1",
      "orderflow-redrive-group": "payment",
      "orderflow-redrive-count": "1",
    });
    expect(Object.keys(back[0]!.headers).filter((h) => h.startsWith("dlt-"))).toEqual([]);
    expect(back[1]!.headers).toMatchObject({
      "orderflow-control": "release-key",
      "orderflow-redrive-group": "payment",
    });
    expect(JSON.parse(await orderflow("dlt", "list", "--group", "payment", "--json"))).toEqual([]);
    const audit = await readTopic(client, "orderflow.ops-audit", { until: (rs) => rs.length >= 1 });
    expect(JSON.parse(audit[0]!.value!.toString())).toMatchObject({
      action: "redrive",
      operator: "ops-test",
      group: "payment",
      deadLetter: "order-events.payment.dlt:0:0",
      key,
    });
  });
});

describe("pnpm orderflow topics:describe", () => {
  it("shows the broker's partitions, replicas and retention of a registry topic", async () => {
    const [t] = JSON.parse(await orderflow("topics:describe", "order-events", "--json"));
    expect(t.topic).toBe("order-events");
    expect(t.partitions).toHaveLength(6);
    expect(t.partitions[0]).toMatchObject({ partition: 0, replicas: [expect.any(Number)] });
    expect(t.config["retention.ms"]).toBe("-1");
  });
});
