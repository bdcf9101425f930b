// A broker with SASL/SCRAM and ACLs (`KAFKA_SECURITY=sasl`), on ports and in a folder of its own:
// an unauthenticated client is refused, and a service's principal can do what its role needs and
// nothing else (it cannot write another service's topic).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEvent } from "@orderflow/contracts";
import {
  applyAcls,
  createKafkaClient,
  createPublisher,
  ensureTopics,
  recordForEvent,
  serviceAcls,
  type KafkaSecurity,
} from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackEnv } from "../src/env.js";
import { bootstrapServers, kafkaDown, kafkaUp } from "../src/stack/kafka.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-sasl-"));
const env = loadStackEnv({
  ...process.env,
  ORDERFLOW_STACK_DIR: dir,
  KAFKA_PORT: "31192",
  KAFKA_CONTROLLER_PORT: "31193",
  KAFKA_NODES: "1",
  KAFKA_SECURITY: "sasl",
});
const quiet = () => {};
const silent = pino({ level: "silent" });
const as = (username: string, password: string): KafkaSecurity => ({
  sasl: { mechanism: "scram-sha-512", username, password },
});
const client = (security?: KafkaSecurity, id = "sasl-test") =>
  createKafkaClient({
    brokers: bootstrapServers(env),
    clientId: id,
    logger: silent,
    ...(security ? { security } : {}),
  });
const event = () =>
  createEvent(
    "OrderCancelled",
    { orderId: "6f1c0a4e-8a52-4c5e-9d3a-1b2c3d4e5f60", reason: "CUSTOMER_REQUESTED" },
    {
      id: crypto.randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: "c",
      causationId: null,
      source: "test",
    },
  );

beforeAll(async () => {
  const jars = path.join(loadStackEnv().ORDERFLOW_STACK_DIR, "kafka", "libs");
  if (fs.existsSync(jars)) fs.cpSync(jars, path.join(dir, "kafka", "libs"), { recursive: true });
  await kafkaUp(env, quiet);
  const admin = client(as("admin", "admin-secret"), "sasl-admin");
  await ensureTopics(admin);
  await applyAcls(admin, serviceAcls());
  // the controller has the ACLs once applyAcls returns; the broker's authorizer a moment later
  // (a slow machine showed "Cluster authorization failed" on the first allowed send)
  for (let attempt = 1; (await send(as("payment", "payment-secret"), "order-events.payment.dlt")) !== "ok"; attempt++) {
    if (attempt === 60) throw new Error("the broker never applied the ACLs");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}, 180_000);

afterAll(async () => {
  await kafkaDown(env, quiet);
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

async function send(security: KafkaSecurity | undefined, topic: string): Promise<string> {
  const p = createPublisher(client(security, `sender-${Math.random()}`));
  try {
    await p.connect();
    await p.send([{ ...recordForEvent(event()), topic }]);
    return "ok";
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  } finally {
    await p.disconnect().catch(() => {});
  }
}

describe("Kafka with SASL/SCRAM and ACLs", () => {
  it("refuses a client without credentials, and one with a wrong password", async () => {
    expect(await send(undefined, "order-events")).toMatch(/Connection|closed|SASL|timeout/i);
    expect(await send(as("payment", "not-the-password"), "payment-events.payment.dlt")).toMatch(/SASL|authentication/i);
  });

  it("lets a service's principal write its own dead-letter topic but not another service's topic", async () => {
    expect(await send(as("payment", "payment-secret"), "order-events.payment.dlt")).toBe("ok");
    expect(await send(as("payment", "payment-secret"), "order-events")).toMatch(/not authorized|authorization/i);
    expect(await send(as("shipping", "shipping-secret"), "payment-events")).toMatch(/not authorized|authorization/i);
  });

  it("lets a service consume its subscription in its own group, committing offsets, and not in another's", async () => {
    expect(await send(as("outbox-relay", "relay-secret"), "order-events")).toBe("ok");
    const consume = async (user: string, password: string, groupId: string) => {
      const c = client(as(user, password), `consumer-${user}`).kafka.consumer({ groupId, retry: { retries: 0 } });
      try {
        await c.connect();
        await c.subscribe({ topics: ["order-events"], fromBeginning: true });
        const got = new Promise<string>((resolve, reject) => {
          c.on(c.events.CRASH, (e) => reject(e.payload.error));
          void c
            .run({
              autoCommit: false,
              eachMessage: async ({ topic, partition, message }) => {
                await c.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
                resolve("consumed and committed");
              },
            })
            .catch(reject);
        });
        return await Promise.race([got, new Promise<string>((r) => setTimeout(() => r("timeout"), 20_000))]);
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      } finally {
        await c.disconnect().catch(() => {});
      }
    };
    // a broker this young may still be loading __consumer_offsets: that answer is asked again
    const consumeOnceLoaded = async (user: string, password: string, groupId: string) => {
      for (let attempt = 1; ; attempt++) {
        const r = await consume(user, password, groupId);
        if (!/coordinator is loading/i.test(r) || attempt === 10) return r;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    expect(await consumeOnceLoaded("payment", "payment-secret", "payment")).toBe("consumed and committed");
    // FindCoordinator answers GROUP_AUTHORIZATION_FAILED, which kafkajs reports as no coordinator
    expect(await consumeOnceLoaded("payment", "payment-secret", "shipping")).toMatch(
      /not authorized|authorization|GroupCoordinatorNotFound/i,
    );
  });

  it("lets the relay write every event topic: it publishes each service's outbox", async () => {
    for (const t of ["order-events", "payment-events", "shipping-events"])
      expect(await send(as("outbox-relay", "relay-secret"), t)).toBe("ok");
  });
});
