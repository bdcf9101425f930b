// Where a slow POST /orders waits at a given rate, variants run in turns (PROBE_VARIANTS):
// `inproc` (an instrumented open loop in this process, as the bench's orders part runs its own)
// and `child` (the same in a process of its own) split each request's time into the generator's
// lag (due → handed to node:http), the service's time (its request log's durationMs, matched by
// correlation id) and the rest (socket queues, event loops, the answer's way back), with both
// sides' event-loop delay and GC; `plain` is load.ts's openLoop in this process, `plainchild`
// its openLoopInChild (what the bench's orders part runs). A variant ending in B
// runs against a second order service started with PROBE_SERVICE_ENV_B (k=v,k=v), for A/B.
// PROBE_PRELOAD_S: a closed loop first, so this process holds the service's log lines as the
// bench does by the time its open loop runs.
// Run: cd packages/bench && PROBE_RATE=200 PROBE_ROUNDS=4 PROBE_PRELOAD_S=20 pnpm exec tsx src/probe/orders-probe.ts
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createKafkaClient, deletePrefixedTopics, ensureTopics } from "@orderflow/kafka";
import {
  anOrder,
  AUTHORIZATION,
  DATABASES,
  dropDatabases,
  migrateAll,
  Service,
  TOPIC_PREFIX,
} from "@orderflow/system-tests/harness";
import { pino } from "pino";
import { loadProbeEnv } from "../env.js";
import { jsonPost, openLoop, openLoopInChild, withIdempotencyKey, wrkClosedLoop } from "../load.js";
import { LOG } from "../samples.js";
import { generate, type GenResult, type Rec } from "./open-loop-gen.js";

const E = loadProbeEnv({ rate: 400, rounds: 3, windowMs: 5000, variants: "inproc,child" });
const { rate, rounds, windowMs, preloadS } = E;
const variants = E.variants.split(",");
const extraEnv = Object.fromEntries(
  E.serviceEnv
    .split(",")
    .filter(Boolean)
    .map((kv) => kv.split("=") as [string, string]),
);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};
const r1 = (n: number) => Math.round(n * 10) / 10;

async function scrape(svc: Service): Promise<Map<string, number>> {
  const text = await (await fetch(svc.url("/metrics"))).text();
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line) continue;
    const i = line.lastIndexOf(" ");
    m.set(
      line
        .slice(0, i)
        .replace(/,?service="order"/, "")
        .replace("{}", ""),
      Number(line.slice(i + 1)),
    );
  }
  return m;
}

function gcDelta(a: Map<string, number>, b: Map<string, number>) {
  let count = 0;
  let sum = 0;
  const byKind: Record<string, number> = {};
  for (const [k, v] of b) {
    if (k.startsWith("nodejs_gc_duration_seconds_sum")) {
      const d = v - (a.get(k) ?? 0);
      sum += d;
      byKind[/kind="(\w+)"/.exec(k)?.[1] ?? "?"] = r1(d * 1000);
    }
    if (k.startsWith("nodejs_gc_duration_seconds_count")) count += v - (a.get(k) ?? 0);
  }
  return { count, totalMs: r1(sum * 1000), byKind };
}

async function runChild(url: string): Promise<GenResult> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(
      "pnpm",
      ["exec", "tsx", path.join(here, "open-loop-gen.ts"), url, String(rate), String(windowMs), AUTHORIZATION],
      { stdio: ["ignore", "pipe", "inherit"], cwd: path.join(here, "..", "..") },
    );
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.once("close", (code) => (code === 0 ? resolve(JSON.parse(out) as GenResult) : reject(new Error(`gen ${code}`))));
  });
}

const preload = (svc: Service) =>
  wrkClosedLoop(svc.url("/orders"), {
    body: anOrder(),
    headers: { authorization: AUTHORIZATION },
    idempotencyKeys: true,
    concurrency: 16,
    durationMs: 2000 + preloadS * 1000,
  });

const svcStats = (before: Map<string, number>, after: Map<string, number>) => ({
  loopMaxMs: r1((after.get("nodejs_eventloop_lag_max_seconds") ?? NaN) * 1000),
  loopP99Ms: r1((after.get("nodejs_eventloop_lag_p99_seconds") ?? NaN) * 1000),
  gc: gcDelta(before, after),
  cpuPct: Math.round(
    (((after.get("process_cpu_seconds_total") ?? 0) - (before.get("process_cpu_seconds_total") ?? 0)) /
      (windowMs / 1000)) *
      100,
  ),
});

/** load.ts's open loop, in this process or (as the bench's orders part runs it) in a child: latency only */
async function plainWindow(svc: Service, child: boolean): Promise<object> {
  const before = await scrape(svc);
  const headers = { authorization: AUTHORIZATION };
  const opts = { ratePerSecond: rate, durationMs: windowMs };
  const r = child
    ? await openLoopInChild(svc.url("/orders"), { body: anOrder(), headers, ...opts })
    : await openLoop(
        jsonPost(svc.url("/orders"), () => anOrder(), withIdempotencyKey(headers)),
        opts,
      );
  const l = r.latencyMs;
  return {
    n: r.ok,
    failed: r.failed,
    client: { p50: r1(l.p50), p99: r1(l.p99), p999: r1(l.p999) },
    svc: svcStats(before, await scrape(svc)),
  };
}

/** the slowest requests' time, split into the generator's lag, the service's and the rest */
function split(rs: Rec[], server: Map<string, number>) {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const lag = mean(rs.map((r) => r.sent - r.due));
  const srv = mean(rs.map((r) => server.get(r.cid) ?? NaN).filter((x) => !Number.isNaN(x)));
  const tot = mean(rs.map((r) => r.done - r.due));
  return { total: r1(tot), genLag: r1(lag), server: r1(srv), rest: r1(tot - lag - srv) };
}

/** the instrumented generator, here or in a child process, each request matched to its log line */
async function instrumentedWindow(svc: Service, child: boolean): Promise<object> {
  const url = svc.url("/orders");
  const before = await scrape(svc);
  const from = svc.lines.length;
  // the child takes a moment to start: its window starts when it does
  const g = child ? await runChild(url) : await generate(url, rate, windowMs, () => anOrder(), AUTHORIZATION);
  await new Promise((r) => setTimeout(r, 200)); // the last request logs
  const after = await scrape(svc);
  const server = new Map<string, number>();
  for (const l of svc.lines.slice(from) as { msg?: string; correlationId?: string; durationMs?: number }[])
    if (l.msg === "request" && l.correlationId && l.durationMs !== undefined) server.set(l.correlationId, l.durationMs);
  const ok = g.recs.filter((r) => r.status < 300 && r.status > 0);
  const total = ok.map((r) => r.done - r.due);
  const p99 = pct(total, 99);
  const srvAll = ok.map((r) => server.get(r.cid)).filter((x): x is number => x !== undefined);
  return {
    n: ok.length,
    failed: g.recs.length - ok.length,
    client: { p50: r1(pct(total, 50)), p99: r1(p99), p999: r1(pct(total, 99.9)), max: r1(pct(total, 100)) },
    genLagP99: r1(
      pct(
        ok.map((r) => r.sent - r.due),
        99,
      ),
    ),
    server: { p50: r1(pct(srvAll, 50)), p99: r1(pct(srvAll, 99)), max: r1(pct(srvAll, 100)) },
    slowest1pct: split(
      ok.filter((r) => r.done - r.due >= p99),
      server,
    ),
    gen: {
      loop: { p99: r1(g.loopDelayMs.p99), max: r1(g.loopDelayMs.max) },
      gc: { n: g.gc.count, ms: r1(g.gc.totalMs), max: r1(g.gc.maxMs) },
    },
    svc: svcStats(before, after),
  };
}

async function main() {
  migrateAll();
  const kafka = createKafkaClient({
    brokers: ["127.0.0.1:19092"],
    clientId: "probe",
    logger: pino({ level: "silent" }),
    topicPrefix: TOPIC_PREFIX,
  });
  await ensureTopics(kafka);
  const svcA = await Service.start("order", 3321, { ...LOG, DATABASE_URL: DATABASES.order, ...extraEnv });
  const envB = E.serviceEnvB;
  const svcB = envB
    ? await Service.start("order", 3322, {
        ...LOG,
        DATABASE_URL: DATABASES.order,
        ...Object.fromEntries(envB.split(",").map((kv) => kv.split("=") as [string, string])),
      })
    : undefined;
  try {
    await svcA.ready();
    await svcB?.ready();
    if (svcB) await preload(svcB);
    await preload(svcA);
    console.log(
      `rate ${rate}/s, window ${windowMs} ms, rounds ${rounds}, variants ${variants}, env ${JSON.stringify(extraEnv)}, lines held ${svcA.lines.length}`,
    );
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        const svc = v.endsWith("B") ? svcB! : svcA;
        const r = v.startsWith("plain")
          ? await plainWindow(svc, v.startsWith("plainchild"))
          : await instrumentedWindow(svc, v.startsWith("child"));
        console.log(JSON.stringify({ round, v, ...r }));
      }
    }
  } finally {
    await svcA.stop();
    await svcB?.stop();
    await deletePrefixedTopics(kafka).catch(() => {});
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
