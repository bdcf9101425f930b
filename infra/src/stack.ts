// `pnpm stack up|down|status|reset|topics`: the local stack with no Docker — a real Kafka broker
// (KRaft) from the Maven Central jars, a private PostgreSQL and (when installed) a Prometheus
// scraping the services, data and logs under .stack/.
import fs from "node:fs";
import { pino } from "pino";
import { createKafkaClient, ensureTopics } from "@orderflow/kafka";
import { loadStackEnv, SERVICE_DATABASES, type StackEnv } from "./env.js";
import { bootstrapServers, kafkaDown, kafkaLayout, kafkaRunning, kafkaUp, runningLayout } from "./stack/kafka.js";
import { adminUrl, pgDown, pgPaths, pgRunning, pgUp } from "./stack/postgres.js";
import { prometheusDown, prometheusPaths, prometheusRunning, prometheusUp, prometheusUrl } from "./stack/prometheus.js";

const say = (m: string) => console.log(m);

async function createTopics(env: StackEnv): Promise<void> {
  const logger = pino({ level: "warn" });
  const client = createKafkaClient({
    brokers: bootstrapServers(env, runningLayout(env) ?? kafkaLayout(env)),
    clientId: "orderflow-stack",
    logger,
  });
  const r = await ensureTopics(client);
  say(
    `topics: ${r.created.length} created${r.created.length ? ` (${r.created.join(", ")})` : ""}, ${r.existing.length} already there`,
  );
}

async function up(env: StackEnv): Promise<void> {
  const t0 = Date.now();
  fs.mkdirSync(env.ORDERFLOW_STACK_DIR, { recursive: true });
  await pgUp(env, say);
  await kafkaUp(env, say);
  await createTopics(env);
  await prometheusUp(env, say);
  say(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  say(
    `  kafka     ${bootstrapServers(env).join(",")}${env.KAFKA_NODES === 3 ? " (3-node KRaft cluster, replication factor 3, min.insync.replicas 2)" : ""}`,
  );
  say(`  postgres  ${adminUrl(env)} (databases ${SERVICE_DATABASES.join(", ")})`);
  if (await prometheusRunning(env)) say(`  prometheus ${prometheusUrl(env)}`);
}

async function down(env: StackEnv): Promise<void> {
  await prometheusDown(env, say);
  await kafkaDown(env, say);
  await pgDown(env, say);
}

async function status(env: StackEnv): Promise<boolean> {
  const k = await kafkaRunning(env);
  const p = await pgRunning(env);
  const l = runningLayout(env) ?? kafkaLayout(env);
  say(
    `kafka     ${k ? "up  " : "down"}  ${bootstrapServers(env, l).join(",")}  logs ${l.nodes.map((n) => n.logs).join(", ")}`,
  );
  say(`postgres  ${p ? "up  " : "down"}  ${env.PG_HOST}:${env.PG_PORT}  log ${pgPaths(env).log}`);
  // optional: its absence does not fail the status
  const m = await prometheusRunning(env);
  const why = env.ORDERFLOW_PROMETHEUS === "off" ? " (ORDERFLOW_PROMETHEUS=off)" : "";
  say(`prometheus ${m ? "up  " : "down"}  ${prometheusUrl(env)}${why}  log ${prometheusPaths(env).log}`);
  return k && p;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [cmd] = args;
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  // --cluster: the 3-node KRaft cluster instead of the single node
  // biome-ignore lint/style/noProcessEnv: the CLI hands its environment (with --cluster's override) to env.ts
  const env = loadStackEnv(args.includes("--cluster") ? { ...process.env, KAFKA_NODES: "3" } : process.env);
  const node = flag("node") ? Number(flag("node")) : undefined;
  // commands on a running stack follow its mode, whatever --cluster says
  const live = runningLayout(env);
  const here: StackEnv =
    live && live.nodes.length !== env.KAFKA_NODES ? { ...env, KAFKA_NODES: live.nodes.length as 1 | 3 } : env;
  switch (cmd) {
    case "up":
      return up(env);
    case "down":
      return down(env);
    case "status":
      if (!(await status(here))) process.exitCode = 1;
      return;
    case "reset":
      await down(env);
      fs.rmSync(`${env.ORDERFLOW_STACK_DIR}/kafka/data`, { recursive: true, force: true });
      fs.rmSync(`${env.ORDERFLOW_STACK_DIR}/kafka-cluster`, { recursive: true, force: true });
      fs.rmSync(`${env.ORDERFLOW_STACK_DIR}/postgres`, { recursive: true, force: true });
      fs.rmSync(`${env.ORDERFLOW_STACK_DIR}/prometheus`, { recursive: true, force: true });
      say("stack data removed (the Kafka jars are kept)");
      return;
    case "topics":
      return createTopics(here);
    // for fault tests: the broker alone, the database untouched
    case "kafka-stop":
      return kafkaDown(env, say, node, args.includes("--kill"));
    case "kafka-start":
      return kafkaUp(here, say, node);
    default:
      console.error(
        "usage: pnpm stack up [--cluster] | down | status | reset | topics | kafka-stop [--node N] [--kill] | kafka-start [--node N]",
      );
      process.exitCode = 2;
  }
}

main().catch((e: Error) => {
  console.error(`stack: ${e.message}`);
  process.exitCode = 1;
});
