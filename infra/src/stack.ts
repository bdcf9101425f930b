// `pnpm stack up|down|status|reset|topics`: the local stack with no Docker — a real Kafka broker
// (KRaft) from the Maven Central jars and a private PostgreSQL, data and logs under .stack/.
import fs from "node:fs";
import { pino } from "pino";
import { createKafkaClient, ensureTopics } from "@orderflow/kafka";
import { loadStackEnv, SERVICE_DATABASES, type StackEnv } from "./env.js";
import { kafkaDown, kafkaPaths, kafkaRunning, kafkaUp } from "./stack/kafka.js";
import { adminUrl, pgDown, pgPaths, pgRunning, pgUp } from "./stack/postgres.js";

const say = (m: string) => console.log(m);

async function createTopics(env: StackEnv): Promise<void> {
  const logger = pino({ level: "warn" });
  const client = createKafkaClient({ brokers: [`${env.KAFKA_HOST}:${env.KAFKA_PORT}`], clientId: "orderflow-stack", logger });
  const r = await ensureTopics(client);
  say(`topics: ${r.created.length} created${r.created.length ? ` (${r.created.join(", ")})` : ""}, ${r.existing.length} already there`);
}

async function up(env: StackEnv): Promise<void> {
  const t0 = Date.now();
  fs.mkdirSync(env.ORDERFLOW_STACK_DIR, { recursive: true });
  await pgUp(env, say);
  await kafkaUp(env, say);
  await createTopics(env);
  say(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  say(`  kafka     ${env.KAFKA_HOST}:${env.KAFKA_PORT}`);
  say(`  postgres  ${adminUrl(env)} (databases ${SERVICE_DATABASES.join(", ")})`);
}

async function down(env: StackEnv): Promise<void> {
  await kafkaDown(env, say);
  await pgDown(env, say);
}

async function status(env: StackEnv): Promise<boolean> {
  const k = await kafkaRunning(env);
  const p = await pgRunning(env);
  say(`kafka     ${k ? "up  " : "down"}  ${env.KAFKA_HOST}:${env.KAFKA_PORT}  logs ${kafkaPaths(env).logs}`);
  say(`postgres  ${p ? "up  " : "down"}  ${env.PG_HOST}:${env.PG_PORT}  log ${pgPaths(env).log}`);
  return k && p;
}

async function main(): Promise<void> {
  const [cmd] = process.argv.slice(2);
  const env = loadStackEnv();
  switch (cmd) {
    case "up":
      return up(env);
    case "down":
      return down(env);
    case "status":
      if (!(await status(env))) process.exitCode = 1;
      return;
    case "reset":
      await down(env);
      fs.rmSync(env.ORDERFLOW_STACK_DIR + "/kafka/data", { recursive: true, force: true });
      fs.rmSync(env.ORDERFLOW_STACK_DIR + "/postgres", { recursive: true, force: true });
      say("stack data removed (the Kafka jars are kept)");
      return;
    case "topics":
      return createTopics(env);
    // for fault tests: the broker alone, the database untouched
    case "kafka-stop":
      return kafkaDown(env, say);
    case "kafka-start":
      return kafkaUp(env, say);
    default:
      console.error("usage: pnpm stack up|down|status|reset|topics|kafka-stop|kafka-start");
      process.exitCode = 2;
  }
}

main().catch((e: Error) => {
  console.error(`stack: ${e.message}`);
  process.exitCode = 1;
});
