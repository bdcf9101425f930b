// The bare baselines each figure is compared with: kafkajs alone, and the bare alternatives
// (src/bare-*.ts) run as processes of their own.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { ensureTopic, type KafkaClient } from "@orderflow/kafka";
import { DATABASES } from "@orderflow/system-tests/harness";
import { RELAY_BATCH_SIZE, sampleEvent } from "./samples.js";

/** bare kafkajs producer, acks=all, batches of the relay's size, one batch at a time as the relay sends */
export async function bareProducer(kafka: KafkaClient, topic: string, n: number): Promise<number> {
  const producer = kafka.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const { event, headers } = sampleEvent();
  const value = JSON.stringify(event);
  const t0 = performance.now();
  for (let sent = 0; sent < n; sent += RELAY_BATCH_SIZE) {
    const messages = Array.from({ length: Math.min(RELAY_BATCH_SIZE, n - sent) }, () => ({
      key: randomUUID(),
      value,
      headers,
    }));
    await producer.send({ topic: kafka.physical(topic), acks: -1, messages });
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await producer.disconnect();
  return rate;
}

/** bare kafkajs eachBatch consumer with an empty handler, from the beginning of `topic` */
export async function bareConsumer(kafka: KafkaClient, topic: string, total: number, run: number): Promise<number> {
  const consumer = kafka.kafka.consumer({ groupId: kafka.physical(`bench-bare-${run}-${randomUUID().slice(0, 8)}`) });
  await consumer.connect();
  await consumer.subscribe({ topics: [kafka.physical(topic)], fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (t0 === 0) t0 = performance.now();
        seen += batch.messages.length;
        if (seen >= total) resolve(seen / ((performance.now() - t0) / 1000));
      },
    });
  });
  const rate = await done;
  await consumer.disconnect();
  return rate;
}

/** a bare alternative (a script of src/) as a process of its own, up once it prints its first line */
export async function startBareProcess(
  script: string,
  args: string[],
): Promise<{ pid: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, script), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once("data", () => resolve());
    proc.once("exit", (code) => reject(new Error(`${script} ${args[0]} exited with ${code}`)));
  });
  return {
    pid: proc.pid!,
    stop: () =>
      new Promise((r) => (proc.exitCode !== null ? r() : (proc.once("exit", () => r()), proc.kill("SIGTERM")))),
  };
}

/** the bare Node.js alternative to POST /orders (src/bare-order-server.ts) */
export async function startBareOrderServer(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const p = await startBareProcess("bare-order-server.ts", [String(port), DATABASES.order]);
  return { url: `http://127.0.0.1:${port}`, stop: p.stop };
}

export const BARE_RELAY =
  "bare pg + kafkajs relay: select 500, send, mark, on one connection (no leader lock, pipelining, tracing or logs)";
const BARE_SAGA_PREFIX = "bare-saga.";
export const BARE_SAGA =
  "bare kafkajs + pg saga, same four hops, one process per service (no outbox or relay, no read model, provider call, idempotency keys, validation, auth, logs or retries)";

/** the bare kafkajs + pg saga (src/bare-saga.ts): one process per service, on topics of its own */
export async function startBareSaga(
  kafka: KafkaClient,
  brokers: string[],
  port: number,
): Promise<{ url: string; procs: { pid: number; name: string }[]; stop(): Promise<void> }> {
  for (const t of ["order-events", "payment-events", "shipping-events"])
    await ensureTopic(kafka, { name: `${BARE_SAGA_PREFIX}${t}`, partitions: 6, retentionMs: 3_600_000 });
  const roles = ["order", "payment", "shipping"] as const;
  const procs = await Promise.all(
    roles.map((r) =>
      startBareProcess("bare-saga.ts", [
        r,
        brokers.join(","),
        kafka.physical(BARE_SAGA_PREFIX),
        DATABASES[r],
        String(port),
      ]),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    procs: procs.map((p, i) => ({ pid: p.pid, name: `bare ${roles[i]}` })),
    stop: async () => void (await Promise.all(procs.map((p) => p.stop()))),
  };
}
