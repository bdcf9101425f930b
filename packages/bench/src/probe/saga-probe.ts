// What a saga record waits for, per consumer, with consumer settings compared in turns: the saga
// (flow.ts's startSaga, on ports and topics of its own) at a fixed rate per variant, placed→shipped
// and the hops from the read model, and from each service's /metrics the time from a record's
// send to its batch's start (orderflow_consumer_record_wait_seconds).
// Run: cd packages/bench && PROBE_RATE=70 PROBE_ROUNDS=2 PROBE_VARIANTS='{};{"PROBE_MAXWAIT":"100"}' \
//        pnpm exec tsx src/probe/saga-probe.ts
import { createKafkaClient, ensureTopics, readTopicToEnd, type KafkaClient } from "@orderflow/kafka";
import { dropDatabases, migrateAll, TOPIC_PREFIX, type Service } from "@orderflow/system-tests/harness";
import { pino } from "pino";
import { loadProbeEnv } from "../env.js";
import { hopLatencies, placedToShipped, startSaga } from "../flow.js";
import { openLoop } from "../load.js";
import { now, post } from "../samples.js";
import { percentiles } from "../stats.js";

const E = loadProbeEnv({ rate: 70, rounds: 2, windowMs: 15_000, variants: "{}" });
const { rate, rounds, windowMs } = E;
const variants = E.variants.split(";").map((v) => JSON.parse(v) as Record<string, string>);
const r1 = (n: number) => Math.round(n * 10) / 10;

type Buckets = Map<string, Map<number, number>>; // group → le → cumulative count

async function waitBuckets(svcs: Service[]): Promise<Buckets> {
  const out: Buckets = new Map();
  for (const s of svcs) {
    const text = await (await fetch(s.url("/metrics"))).text();
    for (const line of text.split("\n")) {
      if (!line.startsWith("orderflow_consumer_record_wait_seconds_bucket")) continue;
      const group = /group="([^"]+)"/.exec(line)![1]!;
      const topic = /topic="([^"]+)"/.exec(line)![1]!;
      const le = /le="([^"]+)"/.exec(line)![1]!;
      const k = `${group}<-${topic}`;
      const m = out.get(k) ?? new Map<number, number>();
      out.set(k, m);
      m.set(le === "+Inf" ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
  }
  return out;
}

/** p-quantile of the delta between two cumulative histograms, interpolated in its bucket */
function quantile(a: Map<number, number> | undefined, b: Map<number, number>, q: number): number {
  const les = [...b.keys()].sort((x, y) => x - y);
  const d = les.map((le) => b.get(le)! - (a?.get(le) ?? 0));
  const total = d.at(-1)!;
  if (!total) return NaN;
  const want = q * total;
  for (let i = 0; i < les.length; i++) {
    if (d[i]! >= want) {
      const lo = i === 0 ? 0 : les[i - 1]!;
      const hi = les[i] === Infinity ? lo * 2 : les[i]!;
      const below = i === 0 ? 0 : d[i - 1]!;
      return (lo + ((want - below) / Math.max(1, d[i]! - below)) * (hi - lo)) * 1000;
    }
  }
  return NaN;
}

/** per event type, p50 / p99 of (record timestamp − occurredAt): emit → commit → the relay's send */
async function relayDelays(client: KafkaClient, from: Date): Promise<Record<string, string>> {
  const by = new Map<string, number[]>();
  for (const topic of ["order-events", "payment-events", "shipping-events"]) {
    for (const r of await readTopicToEnd(client, topic)) {
      const e = JSON.parse(r.value!.toString("utf8")) as { type: string; occurredAt: string };
      const at = Date.parse(e.occurredAt);
      if (at < from.getTime()) continue;
      const xs = by.get(e.type) ?? [];
      by.set(e.type, xs);
      xs.push(Number(r.timestamp) - at);
    }
  }
  return Object.fromEntries(
    [...by].map(([t, xs]) => {
      const p = percentiles(xs);
      return [t, `${r1(p.p50)} / ${r1(p.p99)}`];
    }),
  );
}

async function main() {
  migrateAll();
  const client = createKafkaClient({
    brokers: ["127.0.0.1:19092"],
    clientId: "saga-probe",
    logger: pino({ level: "silent" }),
    topicPrefix: `${TOPIC_PREFIX}saga.`,
  });
  await ensureTopics(client);
  console.log(`rate ${rate}/s, window ${windowMs} ms, rounds ${rounds}, variants ${JSON.stringify(variants)}`);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        const flow = await startSaga(
          client,
          { order: 3341, payment: 3342, shipping: 3343, relay: 3344, projection: 3348, provider: 3347 },
          0,
          undefined,
          v,
        );
        try {
          const consumers = flow.saga.filter((s) => ["order", "payment", "shipping"].includes(s.name));
          await openLoop(post(flow.order), { ratePerSecond: rate, durationMs: 3000 }); // warm-up
          await placedToShipped(new Date(0));
          const before = await waitBuckets(consumers);
          const from = await now();
          await openLoop(post(flow.order), { ratePerSecond: rate, durationMs: windowMs });
          const lat = await placedToShipped(from);
          const after = await waitBuckets(consumers);
          const hops = await hopLatencies(from, lat.length);
          const e2e = percentiles(lat);
          const wait = Object.fromEntries(
            [...after].map(([k, b]) => [
              k,
              `${r1(quantile(before.get(k), b, 0.5))} / ${r1(quantile(before.get(k), b, 0.99))}`,
            ]),
          );
          const relay = await relayDelays(client, from);
          console.log(
            JSON.stringify({
              round,
              v,
              n: lat.length,
              e2e: `${r1(e2e.p50)} / ${r1(e2e.p99)}`,
              hops: hops.display,
              relay,
              wait,
            }),
          );
        } finally {
          await flow.stop();
        }
      }
    }
  } finally {
    await dropDatabases().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
