// `pnpm bench` (BENCH_PROFILE=short, the default, or full): every hot path of Orderflow measured
// against a bare baseline in the same run, on the local stack (started if it is not up). Each
// part is a scenario (src/scenarios/); the table is report.ts's.
// Results: packages/bench/results/latest.{json,md}; progress on stderr.
import { loadStackEnv, kafkaUp, pgUp } from "@orderflow/infra/stack";
import { deletePrefixedTopics, ensureTopic, ensureTopics } from "@orderflow/kafka";
import { dropDatabases, migrateAll } from "@orderflow/system-tests/harness";
import { createBench, type Bench } from "./context.js";
import type { BenchPart } from "./env.js";
import { judge, writeResults, type Row } from "./report.js";
import { dropSlots } from "./samples.js";
import { consumerScenario } from "./scenarios/consumer.js";
import { ordersScenario } from "./scenarios/orders.js";
import { relayScenario } from "./scenarios/relay.js";
import { sagaScenario } from "./scenarios/saga.js";
import { slowProviderScenario } from "./scenarios/slow-provider.js";

/** in this order: the saga takes the orders part's baseline, the slow-provider part the saga's load */
const SCENARIOS: [BenchPart, (bench: Bench) => Promise<Row[]>][] = [
  ["relay", relayScenario],
  ["consumer", consumerScenario],
  ["orders", ordersScenario],
  ["saga", sagaScenario],
  ["slow-provider", slowProviderScenario],
];

async function main(): Promise<void> {
  const bench = createBench();
  const { P } = bench;
  bench.progress(
    `parts ${[...bench.parts].join(", ")}; profile ${bench.profileName}: ${P.repeats} repeats, ${P.records} records, ${P.windowMs / 1000} s windows, saga window ${P.sagaWindowMs / 1000} s`,
  );
  const stack = loadStackEnv();
  await kafkaUp(stack, bench.progress);
  await pgUp(stack, bench.progress);
  migrateAll();
  await ensureTopics(bench.kafka.main);
  await ensureTopic(bench.kafka.main, { name: "bench-bare", partitions: 6, retentionMs: 3_600_000 });
  const rows: Row[] = [];
  try {
    for (const [part, scenario] of SCENARIOS) if (bench.parts.has(part)) rows.push(...(await scenario(bench)));
  } finally {
    await Promise.all([...bench.services.map((s) => s.stop()), ...bench.stopAtEnd.map((stop) => stop())]);
    await deletePrefixedTopics(bench.kafka.main).catch(() => {}); // the other parts' prefixes start with this one
    // PostgreSQL refuses to drop a database a replication slot is on
    await dropSlots().catch((e: Error) =>
      bench.progress(`dropping the bench's replication slots failed: ${e.message}`),
    );
    await dropDatabases().catch(() => {});
  }
  writeResults(bench, judge(rows));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
