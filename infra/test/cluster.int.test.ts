// The 3-node KRaft cluster mode of the local stack (`pnpm stack up --cluster`), on ports and in a
// folder of its own so it runs beside the usual single-node stack.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEvent } from "@orderflow/contracts";
import {
  createKafkaClient,
  createPublisher,
  describeTopics,
  ensureTopics,
  readTopicToEnd,
  recordForEvent,
} from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackEnv } from "../src/env.js";
import { bootstrapServers, kafkaDown, kafkaUp } from "../src/stack/kafka.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-cluster-"));
const env = loadStackEnv({
  ...process.env,
  ORDERFLOW_STACK_DIR: dir,
  KAFKA_PORT: "29092",
  KAFKA_CONTROLLER_PORT: "29093",
  KAFKA_NODES: "3",
});
const quiet = () => {};
const client = createKafkaClient({
  brokers: bootstrapServers(env),
  clientId: "cluster-test",
  logger: pino({ level: "silent" }),
});

beforeAll(async () => {
  // reuse the jars of the usual stack when they are there
  const jars = path.join(loadStackEnv().ORDERFLOW_STACK_DIR, "kafka", "libs");
  if (fs.existsSync(jars)) fs.cpSync(jars, path.join(dir, "kafka", "libs"), { recursive: true });
  await kafkaUp(env, quiet);
}, 180_000);

afterAll(async () => {
  await kafkaDown(env, quiet);
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("the 3-node cluster", () => {
  it("replicates every topic three times with min.insync.replicas 2, and keeps accepting acks=all writes with a node killed", async () => {
    await ensureTopics(client);
    const [t] = await describeTopics(client, ["order-events"]);
    expect(t!.partitions).toHaveLength(6);
    for (const p of t!.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(p.isr).toHaveLength(3);
    }
    expect(t!.config["min.insync.replicas"]).toBe("2");

    await kafkaDown(env, quiet, 2, true); // SIGKILL one broker
    // a client that knows the surviving brokers; partitions led by the dead one move once the
    // controller notices (its broker session times out), so the first sends may be refused
    const survivors = createKafkaClient({
      brokers: bootstrapServers(env).filter((_, i) => i !== 1),
      clientId: "cluster-test-2",
      logger: pino({ level: "silent" }),
    });
    // until the controller has moved leadership off the dead broker, requests may still go there
    const settled = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          const v = await fn();
          if (v !== undefined) return v;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await settled("leaders off broker 2", async () => {
      const [x] = await describeTopics(survivors, ["order-events"]);
      return x!.partitions.every((q) => q.leader !== 2 && q.isr.length === 2) ? true : undefined;
    });
    const p = createPublisher(survivors);
    await settled("producer connected", async () => (await p.connect(), true));
    const orderId = randomUUID();
    const record = recordForEvent(
      createEvent(
        "OrderCancelled",
        { orderId, reason: "CUSTOMER_REQUESTED" },
        {
          id: randomUUID(),
          occurredAt: new Date().toISOString(),
          correlationId: "c",
          causationId: null,
          source: "test",
        },
      ),
    );
    await settled("an acks=all write", async () => (await p.send([record]), true)); // two in-sync replicas are enough
    await p.disconnect();
    expect(
      await settled("the record read back", async () =>
        (await readTopicToEnd(survivors, "order-events")).some((r) => r.key === orderId),
      ),
    ).toBe(true);
    await kafkaUp(env, quiet, 2);
  }, 180_000);
});
