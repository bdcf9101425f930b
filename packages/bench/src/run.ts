// `pnpm bench` (BENCH_PROFILE=short, the default, or full): every hot path of Orderflow measured
// against a bare baseline in the same run, on the local stack (started if it is not up).
// Results: packages/bench/results/latest.{json,md}; progress on stderr.
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEvent, eventHeaders } from "@orderflow/contracts";
import { loadStackEnv, kafkaUp, pgUp } from "@orderflow/infra/stack";
import { consumerGroupLag, createKafkaClient, deletePrefixedTopics, ensureTopic, ensureTopics, type KafkaClient } from "@orderflow/kafka";
import { anOrder, AUTHORIZATION, DATABASES, dropDatabases, migrateAll, Service, TOPIC_PREFIX, waitFor } from "@orderflow/system-tests/harness";
import pg from "pg";
import { pino } from "pino";
import { BENCH_PARTS, loadBenchEnv, PROFILES } from "./env.js";
import { closedLoop, jsonPost, openLoop, withIdempotencyKey, wrkClosedLoop, type Request } from "./load.js";
import { figure, percentiles, round, type Figure } from "./stats.js";

const { profileName, brokers, parts } = loadBenchEnv();
const P = PROFILES[profileName];
const RELAY_BATCH_SIZE = 500;
/** outbox rows per transaction in the relay's latency runs */
const RELAY_ROWS_PER_TX = 10;
/** the payment provider's answer time in the slow-provider part (PROVIDER_LATENCY_MS) */
const SLOW_PROVIDER_MS = 50;

const started = Date.now();
const progress = (msg: string) => process.stderr.write(`[bench ${Math.round((Date.now() - started) / 1000)}s] ${msg}\n`);
/** Figures compared as a ratio are measured in turns (a run of each, then the next round), so
 *  the machine's drift over minutes (a checkpoint after pgbench, a noisy neighbour) falls on
 *  both sides alike instead of on whichever ran second. */
const interleaved = async (steps: { what: string; fn: (i: number) => Promise<number> }[]): Promise<Figure[]> => {
  const runs: number[][] = steps.map(() => []);
  for (let i = 0; i < P.repeats; i++) {
    for (const [k, step] of steps.entries()) {
      runs[k]!.push(await step.fn(i));
      progress(`${step.what} ${i + 1}/${P.repeats}: ${round(runs[k]!.at(-1)!)}`);
    }
  }
  return runs.map(figure);
};
const repeat = async (what: string, fn: (i: number) => Promise<number>): Promise<Figure> => (await interleaved([{ what, fn }]))[0]!;

const kafka = createKafkaClient({ brokers, clientId: "bench", logger: pino({ level: "silent" }), topicPrefix: TOPIC_PREFIX });
// the saga runs on topics of its own: nothing the earlier measurements left on the broker reaches it
const SAGA_PREFIX = `${TOPIC_PREFIX}saga.`;
const sagaKafka = createKafkaClient({ brokers, clientId: "bench-saga", logger: pino({ level: "silent" }), topicPrefix: SAGA_PREFIX });
// and the slow-provider part's saga and payment runs on topics of theirs
const SLOW_SAGA_PREFIX = `${TOPIC_PREFIX}slow-saga.`;
const slowSagaKafka = createKafkaClient({ brokers, clientId: "bench-slow-saga", logger: pino({ level: "silent" }), topicPrefix: SLOW_SAGA_PREFIX });
const SLOW_PAYMENT_PREFIX = `${TOPIC_PREFIX}slow-payment.`;
const slowPaymentKafka = createKafkaClient({ brokers, clientId: "bench-slow-payment", logger: pino({ level: "silent" }), topicPrefix: SLOW_PAYMENT_PREFIX });
const sql = async <T extends pg.QueryResultRow>(db: keyof typeof DATABASES, text: string, params: unknown[] = []): Promise<T[]> => {
  const c = new pg.Client({ connectionString: DATABASES[db] });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
};

/** A typical record: an OrderPlaced as the relay publishes it, headers included. */
function sampleEvent() {
  const orderId = randomUUID();
  const o = anOrder();
  const e = createEvent("OrderPlaced", { orderId, customerId: o.customerId, items: o.items, currency: o.currency, shippingAddress: o.shippingAddress, shippingSpeed: "STANDARD", totalAmount: 3000 }, { id: randomUUID(), occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null, source: "order" });
  return { event: e, headers: eventHeaders(e) as Record<string, string> };
}

// ---- baselines ----

/** bare kafkajs producer, acks=all, batches of the relay's size, one batch at a time as the relay sends */
async function bareProducer(topic: string, n: number): Promise<number> {
  const producer = kafka.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const { event, headers } = sampleEvent();
  const value = JSON.stringify(event);
  const t0 = performance.now();
  for (let sent = 0; sent < n; sent += RELAY_BATCH_SIZE) {
    const messages = Array.from({ length: Math.min(RELAY_BATCH_SIZE, n - sent) }, () => ({ key: randomUUID(), value, headers }));
    await producer.send({ topic: kafka.physical(topic), acks: -1, messages });
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await producer.disconnect();
  return rate;
}

/** bare kafkajs eachBatch consumer with an empty handler, from the beginning of `topic` */
async function bareConsumer(topic: string, total: number, run: number): Promise<number> {
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

/** pgbench running `script` against `url` (`extra`: more pgbench options); transactions per second */
async function pgbench(url: string, script: string, clients: number, seconds: number, extra: string[] = []): Promise<number> {
  const out = await pgbenchAsync(url, script, ["-c", String(clients), "-j", String(Math.min(clients, 2)), "-T", String(seconds), ...extra]);
  const m = /tps = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`pgbench printed no tps:\n${out}`);
  return Number(m[1]);
}

const q = (s: string) => s.replace(/'/g, "''");

/** pgbench running `script` with `args` (its output) without blocking this process: it keeps
 *  reading the services' logs meanwhile (a service whose stdout pipe fills blocks in its log writes) */
function pgbenchAsync(url: string, script: string, args: string[]): Promise<string> {
  const file = path.join(os.tmpdir(), `orderflow-bench-${randomUUID()}.sql`);
  fs.writeFileSync(file, script);
  const proc = spawn("pgbench", ["-n", ...args, "-f", file, url], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise<string>((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbench failed (${code}):\n${out}`))));
  }).finally(() => fs.rmSync(file, { force: true }));
}

/** the statement POST /orders sends without an Idempotency-Key: the new order's event and its outbox row in one INSERT */
function placeOrderScript(): string {
  const { event, headers } = sampleEvent();
  return `SELECT gen_random_uuid() AS oid, gen_random_uuid() AS eid \\gset
WITH appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at) VALUES (':oid', 1, ':eid', 'OrderPlaced', 2, '${q(JSON.stringify(event.data))}', 'bench', NULL, now()))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (':eid', ':oid', 'order-events', ':oid', 'OrderPlaced', '${q(JSON.stringify(event))}', '${q(JSON.stringify(headers))}');
`;
}

/** pgbench options the keyed script needs: its per-client counter starts at 0 (pgbench keeps a
 *  client's variables from one transaction to the next) */
const KEYED_PGBENCH_OPTIONS = ["-D", "seq=0"];

/** The statement POST /orders sends with an Idempotency-Key (apps/order: commands/idempotent.ts
 *  placeOrderOnce, db/event-store.ts startStreams, db/idempotency.ts claimKeysSql, db-kit
 *  outboxInsertSql): one statement, no explicit transaction, that takes the key's advisory lock,
 *  stores its answer unless a live one is there, and writes the event and its outbox row only if
 *  the claim held. A key of its own per transaction (this script's run id, pgbench's client id and
 *  a counter), the subject of the bench's token, and values shaped like the service's: a sha256
 *  fingerprint, the 202's location and body, 24 hours to expiry. Needs KEYED_PGBENCH_OPTIONS. */
function placeOrderKeyedScript(): string {
  const { event, headers } = sampleEvent();
  const subject = "system-tests"; // AUTHORIZATION's subject
  const key = `${randomUUID()}-:client_id-:seq`;
  const fingerprint = createHash("sha256").update(`POST /orders\n${JSON.stringify(anOrder())}`).digest("base64url");
  const data = event.data as { totalAmount: number; currency: string };
  const answer = { orderId: ":oid", status: "PLACED", totalAmount: data.totalAmount, currency: data.currency };
  return `\\set seq :seq + 1
SELECT gen_random_uuid() AS oid, gen_random_uuid() AS eid \\gset
WITH key_req AS (
  SELECT k.*, pg_try_advisory_xact_lock(hashtextextended(k.subject || ' ' || k.key, 0)) AS locked
    FROM unnest(ARRAY[':oid']::uuid[], ARRAY['${subject}']::text[], ARRAY['${key}']::text[], ARRAY['${fingerprint}']::text[], ARRAY[202]::int[], ARRAY['/orders/:oid']::text[], ARRAY['${q(JSON.stringify(answer))}']::jsonb[], ARRAY[${24 * 3600_000}]::bigint[])
      AS k(order_id, subject, key, fingerprint, status, location, body, ttl_ms)),
key_claimed AS (
  INSERT INTO idempotency_keys (subject, key, fingerprint, status, location, body, expires_at)
  SELECT subject, key, fingerprint, status, location, body, now() + ttl_ms * interval '1 millisecond' FROM key_req WHERE locked
  ON CONFLICT (subject, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location,
    body = EXCLUDED.body, created_at = now(), expires_at = EXCLUDED.expires_at
    WHERE idempotency_keys.expires_at <= now()
  RETURNING subject, key),
key_refused AS (SELECT r.order_id, r.locked FROM key_req r WHERE NOT EXISTS (SELECT 1 FROM key_claimed c WHERE c.subject = r.subject AND c.key = r.key)),
appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)
  SELECT * FROM unnest(ARRAY[':oid']::uuid[], ARRAY[1]::int[], ARRAY[':eid']::uuid[], ARRAY['OrderPlaced']::text[], ARRAY[2]::int[], ARRAY['${q(JSON.stringify(event.data))}']::jsonb[], ARRAY['${event.correlationId}']::text[], ARRAY[NULL]::text[], ARRAY['${event.occurredAt}']::timestamptz[])
    AS e(order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)
  WHERE e.order_id NOT IN (SELECT order_id FROM key_refused)),
outboxed AS (INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers)
  SELECT * FROM (VALUES (':eid'::uuid, ':oid', 'order-events', ':oid', 'OrderPlaced', '${q(JSON.stringify(event))}'::jsonb, '${q(JSON.stringify(headers))}'::jsonb))
    AS o(event_id, aggregate_id, topic, key, event_type, payload, headers)
  WHERE o.aggregate_id NOT IN (SELECT order_id::text FROM key_refused))
SELECT order_id::text, locked FROM key_refused;
`;
}

/** a bare alternative (a script of src/) as a process of its own, up once it prints its first line */
async function startBareProcess(script: string, args: string[]): Promise<{ pid: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once("data", () => resolve());
    proc.once("exit", (code) => reject(new Error(`${script} ${args[0]} exited with ${code}`)));
  });
  return { pid: proc.pid!, stop: () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once("exit", () => r()), proc.kill("SIGTERM")))) };
}

/** the bare Node.js alternative to POST /orders (src/bare-order-server.ts) */
async function startBareOrderServer(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const p = await startBareProcess("bare-order-server.ts", [String(port), DATABASES.order]);
  return { url: `http://127.0.0.1:${port}`, stop: p.stop };
}

const BARE_RELAY = "bare pg + kafkajs relay: select 500, send, mark, on one connection (no leader lock, pipelining, tracing or logs)";
const BARE_SAGA_PREFIX = "bare-saga.";
const BARE_SAGA = "bare kafkajs + pg saga, same four hops, one process per service (no outbox or relay, no read model, provider call, idempotency keys, validation, auth, logs or retries)";

/** the bare kafkajs + pg saga (src/bare-saga.ts): one process per service, on topics of its own */
async function startBareSaga(port: number): Promise<{ url: string; procs: { pid: number; name: string }[]; stop(): Promise<void> }> {
  for (const t of ["order-events", "payment-events", "shipping-events"]) await ensureTopic(kafka, { name: `${BARE_SAGA_PREFIX}${t}`, partitions: 6, retentionMs: 3_600_000 });
  const roles = ["order", "payment", "shipping"] as const;
  const procs = await Promise.all(roles.map((r) => startBareProcess("bare-saga.ts", [r, brokers.join(","), kafka.physical(BARE_SAGA_PREFIX), DATABASES[r], String(port)])));
  return { url: `http://127.0.0.1:${port}`, procs: procs.map((p, i) => ({ pid: p.pid, name: `bare ${roles[i]}` })), stop: async () => void (await Promise.all(procs.map((p) => p.stop()))) };
}

/** The statements payment's handler sends for a run of one OrderPlaced (apps/payment:
 *  commands/handle-order-event.ts): the pre-read of the order's payment without a transaction
 *  (the provider's answer would come next: the bench's provider answers at once, so pgbench has no
 *  stand-in for it), then BEGIN; the inbox record with the same read in one statement
 *  (db-kit recordInboxRunAndRead); the payment and its outbox row in one statement (db-kit
 *  writeWithOutbox); COMMIT. */
function paymentScript(): string {
  const { event, headers } = sampleEvent();
  const payments = `SELECT id::text AS id, order_id::text AS "orderId", amount::float8 AS amount, currency, status::text AS status, decline_reason AS "declineReason" FROM payments WHERE order_id = ANY(ARRAY[':oid']::uuid[])`;
  return `SELECT gen_random_uuid() AS oid, gen_random_uuid() AS eid, gen_random_uuid() AS pid \\gset
${payments};
BEGIN;
WITH fresh AS (INSERT INTO inbox (consumer_group, event_id) SELECT 'payment', unnest(ARRAY[':eid']::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id::text AS id), state AS (${payments})
  SELECT (SELECT array_agg(id) FROM fresh) AS fresh, (SELECT json_agg(state) FROM state) AS rows;
WITH created AS (
  INSERT INTO payments (id, order_id, amount, currency, status, decline_reason, updated_at)
  SELECT id, order_id, amount, currency, status::"PaymentStatus", decline_reason, now()
    FROM unnest(ARRAY[':pid']::uuid[], ARRAY[':oid']::uuid[], ARRAY[3000]::bigint[], ARRAY['EUR']::text[], ARRAY['AUTHORIZED']::text[], ARRAY[NULL]::text[]) AS t(id, order_id, amount, currency, status, decline_reason)
), refunded AS (UPDATE payments SET status = 'REFUNDED', updated_at = now() WHERE id = ANY(ARRAY[]::uuid[]))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (gen_random_uuid(), ':oid', 'payment-events', ':oid', 'PaymentAuthorized', '${q(JSON.stringify(event))}'::jsonb, '${q(JSON.stringify(headers))}'::jsonb);
COMMIT;
`;
}

// ---- Orderflow ----

/** Each relay run starts from an empty, vacuumed outbox, so every run starts alike: the runs
 *  delete and re-insert tens of thousands of rows a minute, faster than autovacuum visits. */
async function emptyOutbox(table: OutboxTable): Promise<void> {
  await sql("order", `DELETE FROM ${table}`);
  await sql("order", `VACUUM ${table}`);
}

/** Orderflow's relay publishes `outbox`; the bare relay (src/bare-relay.ts) a table of its own shaped alike */
type OutboxTable = "outbox" | "bare_outbox";

/** `measure` wraps the drain (the rows are inserted before the clock starts) */
async function relayThroughput(table: OutboxTable, relayTopic: string, n: number, measure: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn()): Promise<number> {
  await emptyOutbox(table);
  const { event, headers } = sampleEvent();
  const c = new pg.Client({ connectionString: DATABASES.order });
  await c.connect();
  await c.query(
    `INSERT INTO ${table} (event_id, aggregate_id, topic, key, event_type, payload, headers)
     SELECT gen_random_uuid(), k, $1, k, 'OrderPlaced', $2::jsonb, $3::jsonb FROM (SELECT gen_random_uuid()::text AS k FROM generate_series(1, $4)) s`,
    [relayTopic, JSON.stringify(event), JSON.stringify(headers), n],
  );
  const t0 = Date.now();
  await c.end();
  const last = await measure(() => waitFor("the relay to publish the rows", async () => {
    const [r] = await sql<{ pending: string; last: Date }>("order", `SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending, max(published_at) AS last FROM ${table}`);
    return Number(r!.pending) === 0 && r!.last;
  }, 300_000));
  return n / ((last.getTime() - t0) / 1000);
}

/** Rows committed at `rate` per second by pgbench (`--rate`: Poisson arrivals, a C client, so
 *  the generator's own CPU does not cap the rate; the rate PostgreSQL kept up with is returned),
 *  RELAY_ROWS_PER_TX per transaction: one row per transaction commits at ~1 000–1 700/s here
 *  (notifying commits serialise), short of half the relay's throughput; the services write
 *  their outbox rows in runs too. Each row carries its transaction id in event_type (the relays
 *  publish payload and headers only), so its commit time comes from PostgreSQL's commit
 *  timestamps (the local stack runs with track_commit_timestamp on). Latency: published_at (the
 *  relay's clock at the broker's ack) minus that commit time; without commit timestamps, minus
 *  created_at, the transaction's start. */
async function relayLatency(table: OutboxTable, relayTopic: string, rate: number, durationMs: number): Promise<ReturnType<typeof percentiles> & { committedPerSecond: number; from: "commit" | "transaction start" }> {
  await emptyOutbox(table);
  const { event, headers } = sampleEvent();
  const script = `INSERT INTO ${table} (event_id, aggregate_id, topic, key, event_type, payload, headers) SELECT gen_random_uuid(), u, '${q(relayTopic)}', u, pg_current_xact_id()::text, '${q(JSON.stringify(event))}', '${q(JSON.stringify(headers))}' FROM (SELECT gen_random_uuid()::text AS u FROM generate_series(1, ${RELAY_ROWS_PER_TX})) s;\n`;
  await pgbenchAsync(DATABASES.order, script, ["-c", "8", "-j", "2", "-R", String(Math.max(1, Math.round(rate / RELAY_ROWS_PER_TX))), "-T", String(Math.max(1, Math.round(durationMs / 1000)))]);
  await waitFor("every row published", async () => Number((await sql<{ n: string }>("order", `SELECT count(*) AS n FROM ${table} WHERE published_at IS NULL`))[0]!.n) === 0, 120_000);
  const [{ on }] = (await sql<{ on: boolean }>("order", "SELECT current_setting('track_commit_timestamp') = 'on' AS on")) as [{ on: boolean }];
  // xid8 → xid: its low 32 bits
  const committedAt = on ? "pg_xact_commit_timestamp((event_type::bigint % 4294967296)::text::xid)" : "created_at";
  const rows = await sql<{ ms: number; at: number }>("order", `SELECT extract(epoch FROM published_at - ${committedAt}) * 1000 AS ms, extract(epoch FROM ${committedAt}) AS at FROM ${table}`);
  const at = rows.map((r) => Number(r.at));
  const span = Math.max(...at) - Math.min(...at);
  return { ...percentiles(rows.map((r) => Number(r.ms))), committedPerSecond: span > 0 ? rows.length / span : NaN, from: on ? "commit" : "transaction start" };
}

/** all CPU seconds the machine spent (every core), from /proc/stat */
function machineCpuSeconds(): number {
  const [, ...v] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  const [user, nice, system, , , irq, softirq, steal] = n as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / 100; // busy time: not idle, not iowait
}

/** placed→shipped (ms) of the orders placed since `from`, once they all shipped */
async function placedToShipped(from: Date): Promise<number[]> {
  await waitFor("the flow to drain", async () => Number((await sql<{ n: string }>("order", `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE recorded_at >= $1 GROUP BY order_id HAVING bool_and(type <> 'OrderShipped')) x`, [from]))[0]!.n) === 0, 300_000);
  const rows = await sql<{ ms: number }>("order", `SELECT extract(epoch FROM s.recorded_at - p.recorded_at) * 1000 AS ms FROM order_events p JOIN order_events s ON s.order_id = p.order_id AND s.type = 'OrderShipped' WHERE p.type = 'OrderPlaced' AND p.recorded_at >= $1`, [from]);
  return rows.map((r) => Number(r.ms));
}

/** CPU seconds so far of every process on the machine, grouped as the broker (java), PostgreSQL,
 *  this benchmark process (the load generator) and the named services; the rest as "other". */
type Named = { pid: number; name: string };
const named = (services: Service[]): Named[] => services.map((s) => ({ pid: s.proc.pid!, name: s.name }));

function cpuByGroup(processes: Named[]): Map<string, number> {
  const named = new Map(processes.map((p) => [p.pid, p.name] as const));
  const out = new Map<string, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(d);
      const group = named.get(pid) ?? (pid === process.pid ? "load generator" : comm === "java" ? "broker" : comm === "postgres" ? "PostgreSQL" : "other");
      out.set(group, (out.get(group) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Runs `fn` and says where the machine's CPU went meanwhile, as % of one core. */
async function whereCpuGoes<T>(services: Named[], fn: () => Promise<T>): Promise<{ result: T; display: string; total: number }> {
  const m0 = machineCpuSeconds();
  const g0 = cpuByGroup(services);
  const t0 = Date.now();
  const result = await fn();
  const wall = (Date.now() - t0) / 1000;
  const machine = machineCpuSeconds() - m0;
  const g1 = cpuByGroup(services);
  const shares = [...g1].map(([k, v]) => [k, Math.max(0, v - (g0.get(k) ?? 0))] as const).filter(([k]) => k !== "other");
  const known = shares.reduce((n, [, v]) => n + v, 0);
  const parts = [...shares, ["other (kernel, exited processes)", Math.max(0, machine - known)] as const].filter(([, v]) => v / wall >= 0.005).sort((a, b) => b[1] - a[1]);
  return { result, total: (100 * machine) / wall, display: `${round((100 * machine) / wall, 0)}%: ${parts.map(([k, v]) => `${k} ${round((100 * v) / wall, 0)}%`).join(", ")}` };
}

function rssMb(s: Service): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${s.proc.pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** a client's POST /orders: a fresh Idempotency-Key on every request, as a real client sends */
const post = (svc: Service) => jsonPost(svc.url("/orders"), () => anOrder(), withIdempotencyKey({ authorization: AUTHORIZATION }));

const LOG = { LOG_LEVEL: "info", HTTP_RATE_LIMIT_PER_SECOND: "0" };

/** The card provider's simulator (apps/payment-provider) that payment calls, answering after
 *  `latencyMs`; payment is pointed at it with `paymentEnv`. It logs at warn: it stands for an
 *  external system, and a log line per call would be the bench's CPU, not Orderflow's. */
async function startProvider(port: number, latencyMs: number): Promise<{ service: Service; paymentEnv: { PAYMENT_PROVIDER_URL: string } }> {
  const service = await Service.start("payment-provider", port, { LOG_LEVEL: "warn", PROVIDER_LATENCY_MS: String(latencyMs) });
  await service.ready();
  return { service, paymentEnv: { PAYMENT_PROVIDER_URL: service.url("") } };
}

/** payment's consumer with its inbox on a backlog: `n` OrderPlaced records produced to
 *  `client`'s order-events first, then payment started with `env` (its group carries on from the
 *  previous run's offsets); events/s from the first to the last of those payments' created_at */
async function paymentFromBacklog(client: KafkaClient, env: Record<string, string>, port: number, n: number): Promise<number> {
  const producer = client.kafka.producer();
  await producer.connect();
  const records = Array.from({ length: n }, () => sampleEvent());
  for (let s = 0; s < n; s += RELAY_BATCH_SIZE) await producer.send({ topic: client.physical("order-events"), acks: -1, messages: records.slice(s, s + RELAY_BATCH_SIZE).map((r) => ({ key: (r.event.data as { orderId: string }).orderId, value: JSON.stringify(r.event), headers: r.headers })) });
  await producer.disconnect();
  const before = Number((await sql<{ n: string }>("payment", "SELECT count(*) AS n FROM payments"))[0]!.n);
  const svc = await Service.start("payment", port, { ...LOG, DATABASE_URL: DATABASES.payment, KAFKA_TOPIC_PREFIX: client.physical(""), ...env });
  try {
    await waitFor("payment to handle every event", async () => {
      if (svc.exitCode !== undefined) throw new Error(`payment exited with ${svc.exitCode}: ${svc.tail()}`);
      return Number((await sql<{ n: string }>("payment", "SELECT count(*) AS n FROM payments"))[0]!.n) >= before + n;
    }, 600_000);
  } finally {
    await svc.stop();
  }
  const [span] = await sql<{ first: Date; last: Date }>("payment", "SELECT min(created_at) AS first, max(created_at) AS last FROM (SELECT created_at FROM payments ORDER BY created_at DESC LIMIT $1) x", [n]);
  return n / ((span!.last.getTime() - span!.first.getTime()) / 1000);
}

/** Orderflow's whole flow on `client`'s topics, from empty tables: the relay, order, payment
 *  (calling a provider of its own that answers after `providerLatencyMs`) and shipping. `saga` is
 *  the services of the flow (the provider, an external system's stand-in, is only in `all`). */
async function startSaga(client: KafkaClient, ports: { order: number; payment: number; shipping: number; relay: number; provider: number }, providerLatencyMs: number): Promise<{ saga: Service[]; order: Service; all: Service[]; stop(): Promise<void> }> {
  await sql("order", "TRUNCATE order_events, outbox, inbox, order_views, projection_positions, parked_keys");
  await sql("payment", "TRUNCATE payments, outbox, inbox, parked_keys");
  await ensureTopics(client);
  const provider = await startProvider(ports.provider, providerLatencyMs);
  const env = { ...LOG, KAFKA_TOPIC_PREFIX: client.physical("") };
  const saga = await Promise.all([
    Service.start("outbox-relay", ports.relay, env),
    Service.start("order", ports.order, env),
    Service.start("payment", ports.payment, { ...env, ...provider.paymentEnv }),
    // no warehouse delay; the consumer wakes the dispatcher when a shipment falls due
    Service.start("shipping", ports.shipping, { ...env, SHIPPING_DISPATCH_DELAY_MS: "0" }),
  ]);
  const all = [...saga, provider.service];
  const stop = async () => void (await Promise.all(all.map((s) => s.stop())));
  try {
    await Promise.all(saga.map((s) => s.ready()));
  } catch (e) {
    await stop();
    throw e;
  }
  return { saga, order: saga[1]!, all, stop };
}

const shippedCount = async () => Number((await sql<{ n: string }>("order", "SELECT count(*) AS n FROM order_events WHERE type = 'OrderShipped'"))[0]!.n);

/** a burst of orders from a closed loop, then until every one of them shipped: completed sagas/s */
async function sagasAtSaturation(req: Request, shipped: () => Promise<number>): Promise<number> {
  const before = await shipped();
  const t0 = Date.now();
  const r = await closedLoop(req, { concurrency: P.concurrency, durationMs: P.windowMs });
  await waitFor("the placed orders to ship", async () => (await shipped()) >= before + r.ok, 300_000);
  return r.ok / ((Date.now() - t0) / 1000);
}

const SAGA_HOPS = [["OrderPlaced", "PaymentAuthorized"], ["PaymentAuthorized", "OrderPaid"], ["OrderPaid", "ShipmentDispatched"], ["ShipmentDispatched", "OrderShipped"]] as const;

/** Each hop's p50 / p99 (relay + consumer, + the dispatcher for shipping) of the `shipped` orders
 *  shipped since `from`, from the handlers' own clocks as the read model's timelines hold them */
async function hopLatencies(from: Date, shipped: number): Promise<{ sumOfP50s: number; display: string; hops: ReturnType<typeof percentiles>[] }> {
  await waitFor("the read model to hold the shipped orders", async () => Number((await sql<{ n: string }>("order", "SELECT count(*) AS n FROM order_views WHERE status = 'SHIPPED' AND last_event_at >= $1", [from]))[0]!.n) >= shipped, 120_000);
  const timelines = await sql<{ t: { type: string; occurredAt: string }[] }>("order", "SELECT doc->'timeline' AS t FROM order_views WHERE status = 'SHIPPED' AND last_event_at >= $1", [from]);
  const hops = SAGA_HOPS.map(([a, b]) => percentiles(timelines.flatMap(({ t }) => {
    const x = t.find((e) => e.type === a), y = t.find((e) => e.type === b);
    return x && y ? [Date.parse(y.occurredAt) - Date.parse(x.occurredAt)] : [];
  })));
  return { hops, sumOfP50s: hops.reduce((n, h) => n + h.p50, 0), display: SAGA_HOPS.map(([a, b], i) => `${a}→${b} ${round(hops[i]!.p50)} / ${round(hops[i]!.p99)}`).join("; ") };
}

const now = async () => (await sql<{ t: Date }>("order", "SELECT now() AS t"))[0]!.t;

interface Row {
  figure: string;
  value: Figure;
  /** shown instead of the median and spread (a start → end pair, say) */
  display?: string;
  unit: string;
  baseline?: { name: string; value: Figure };
  /** Orderflow ÷ baseline (medians) */
  ratio?: number;
  target?: string;
  met?: boolean;
}

async function main(): Promise<void> {
  progress(`parts ${[...parts].join(", ")}; profile ${profileName}: ${P.repeats} repeats, ${P.records} records, ${P.windowMs / 1000} s windows, saga window ${P.sagaWindowMs / 1000} s`);
  const stack = loadStackEnv();
  await kafkaUp(stack, progress);
  await pgUp(stack, progress);
  migrateAll();
  await ensureTopics(kafka);
  await ensureTopic(kafka, { name: "bench-bare", partitions: 6, retentionMs: 3_600_000 });
  await ensureTopic(kafka, { name: "bench-relay", partitions: 6, retentionMs: 3_600_000 });
  const rows: Row[] = [];
  const services: Service[] = [];
  const stopAtEnd: (() => Promise<void>)[] = [];
  /** pgbench of the transaction POST /orders runs with an Idempotency-Key (every request of the
   *  bench's load carries one): the orders' baseline and the saga's */
  let orderTx: Figure | undefined;
  const placeOrderKeyedTx = (clients: number) => async () => pgbench(DATABASES.order, placeOrderKeyedScript(), clients, P.windowMs / 1000, KEYED_PGBENCH_OPTIONS);
  const placeOrderTx = (clients: number) => async () => pgbench(DATABASES.order, placeOrderScript(), clients, P.windowMs / 1000);
  const keyedTxWhat = `pgbench POST /orders keyed statement, ${P.concurrency} clients (tps)`;
  /** the saga part's half load (orders/s), for the slow-provider part to run at the same load */
  let sagaHalfRate: number | undefined;
  try {
    if (parts.has("relay")) {
      // -- producer: bare producer vs relay, and the bare relay beside it
      const relay = await Service.start("outbox-relay", 3304, { ...LOG, RELAY_DATABASES: `order=${DATABASES.order}`, RELAY_BATCH_SIZE: String(RELAY_BATCH_SIZE) });
      services.push(relay);
      await relay.ready();
      const bareRelay = await startBareProcess("bare-relay.ts", [brokers.join(","), kafka.physical(""), DATABASES.order]);
      stopAtEnd.push(bareRelay.stop);
      const cpu: Record<"producer" | "relay" | "bare", { display: string; total: number }> = {} as never; // the last run's, each
      const measured = (side: keyof typeof cpu, procs: Named[]) => <T>(fn: () => Promise<T>) => whereCpuGoes(procs, fn).then((r) => ((cpu[side] = r), r.result));
      const [bareProd, relayRate, bareRelayRate] = (await interleaved([
        { what: "bare kafkajs producer (records/s)", fn: () => measured("producer", [])(() => bareProducer("bench-bare", P.records)) },
        { what: "relay (rows/s)", fn: () => relayThroughput("outbox", "bench-relay", P.records, measured("relay", named([relay]))) },
        { what: "bare relay (rows/s)", fn: () => relayThroughput("bare_outbox", "bench-relay", P.records, measured("bare", [{ pid: bareRelay.pid, name: "bare relay" }])) },
      ])) as [Figure, Figure, Figure];
      const producerBaseline = { name: `bare kafkajs producer, acks=all, ${RELAY_BATCH_SIZE}/batch`, value: bareProd };
      rows.push({ figure: "relay throughput", value: relayRate, unit: "rows/s", baseline: producerBaseline, target: "≥ 0.8× baseline" });
      rows.push({ figure: `relay throughput alternative: ${BARE_RELAY}`, value: bareRelayRate, unit: "rows/s", baseline: producerBaseline });
      rows.push({ figure: "CPU busy during the bare producer runs / the relay runs / the bare relay runs (2 cores = 200%)", value: figure([cpu.relay.total]), display: `${cpu.producer.display} / ${cpu.relay.display} / ${cpu.bare.display}`, unit: "" });
      // one run gives both percentiles; each relay at half its own throughput, in turns
      const p99s: Record<OutboxTable, number[]> = { outbox: [], bare_outbox: [] };
      const committed: Record<OutboxTable, number[]> = { outbox: [], bare_outbox: [] };
      let from = "";
      const latencyAt = (table: OutboxTable, rate: Figure) => async () => {
        const l = await relayLatency(table, "bench-relay", rate.median / 2, P.windowMs);
        p99s[table].push(l.p99);
        committed[table].push(l.committedPerSecond);
        from = l.from;
        return l.p50;
      };
      const committedRate = (t: OutboxTable) => `${round(figure(committed[t]).median, 0)} rows/s committed, ${RELAY_ROWS_PER_TX} per transaction (asked: ${round((t === "outbox" ? relayRate : bareRelayRate).median / 2, 0)}), from each row's ${from}`;
      const [lat, bareLat] = (await interleaved([
        { what: "relay commit→ack p50 at half load (ms)", fn: latencyAt("outbox", relayRate) },
        { what: "bare relay commit→ack p50 at half its own throughput (ms)", fn: latencyAt("bare_outbox", bareRelayRate) },
      ])) as [Figure, Figure];
      rows.push({ figure: `relay commit→ack p50, half load (${committedRate("outbox")})`, value: lat, unit: "ms", target: "≤ 5 ms" });
      rows.push({ figure: "relay commit→ack p99, half load", value: figure(p99s.outbox), unit: "ms", target: "≤ 25 ms" });
      rows.push({ figure: `relay commit→ack p50 / p99 at half its own throughput (${committedRate("bare_outbox")}), ${BARE_RELAY}`, value: bareLat, display: `${round(bareLat.median)} / ${round(figure(p99s.bare_outbox).median)}`, unit: "ms" });
      await Promise.all([relay.stop(), bareRelay.stop()]);
      services.splice(services.indexOf(relay), 1);
    }

    if (parts.has("consumer")) {
      // -- consumer: bare vs payment with its inbox
      const topicTotal = P.records * P.repeats;
      // the bare producer runs of the relay part fill the topic the bare consumer reads; without them, fill it here
      if (!parts.has("relay")) await bareProducer("bench-bare", topicTotal);
      const bareCons = await repeat("bare kafkajs eachBatch consumer (records/s)", (i) => bareConsumer("bench-bare", topicTotal, i));
      rows.push({ figure: "bare consumer (reference)", value: bareCons, unit: "records/s" });
      const paymentTx = await repeat("pgbench payment transaction, 1 client (tps)", async () => pgbench(DATABASES.payment, paymentScript(), 1, P.windowMs / 1000));
      await sql("payment", "TRUNCATE payments, inbox, outbox");
      // payment authorizes every order through the card provider: its simulator, answering at once
      const provider = await startProvider(3305, 0);
      services.push(provider.service);
      const inboxRate = await repeat("payment consumer with inbox (events/s)", (i) => paymentFromBacklog(kafka, provider.paymentEnv, 3302 + i * 10, Math.min(P.records, 5_000)));
      await provider.service.stop();
      rows.push({ figure: "consumer with inbox (payment, provider answering at once)", value: inboxRate, unit: "events/s", baseline: { name: "pgbench of its per-event transaction, 1 client", value: paymentTx }, target: "≥ 1.5× baseline" });
    }

    if (parts.has("orders")) {
      // -- POST /orders vs pgbench of the same transaction: with an Idempotency-Key on every request
      //    (what a client sends: the keyed statement), and without one (one group-committed INSERT)
      const order = await Service.start("order", 3301, { ...LOG, DATABASE_URL: DATABASES.order });
      services.push(order);
      await order.ready();
      // side by side: what a bare Node.js server gets with the same transaction, load and machine
      const bare = await startBareOrderServer(3399);
      stopAtEnd.push(bare.stop);
      const auth = { authorization: AUTHORIZATION };
      const wrkPost = (url: string, headers: Record<string, string>, idempotencyKeys: boolean, durationMs: number = P.windowMs) => () => wrkClosedLoop(url, { body: anOrder(), headers, idempotencyKeys, concurrency: P.concurrency, durationMs });
      // a short warm-up first (JIT, connection pools), for the service and the bare alternative alike
      await wrkPost(order.url("/orders"), auth, true, 2000)();
      await wrkPost(order.url("/orders"), auth, false, 1000)();
      await wrkPost(`${bare.url}/orders`, {}, true, 2000)();
      let place: Figure, barePlace: Figure, unkeyedTx: Figure, unkeyedPlace: Figure;
      [orderTx, place, barePlace, unkeyedTx, unkeyedPlace] = (await interleaved([
        { what: keyedTxWhat, fn: placeOrderKeyedTx(P.concurrency) },
        { what: `POST /orders with an Idempotency-Key, wrk closed loop of ${P.concurrency} (req/s)`, fn: wrkPost(order.url("/orders"), auth, true) },
        { what: `bare node:http + pg, same keyed statement, wrk closed loop of ${P.concurrency} (req/s)`, fn: wrkPost(`${bare.url}/orders`, {}, true) },
        { what: `pgbench POST /orders statement without a key, ${P.concurrency} clients (tps)`, fn: placeOrderTx(P.concurrency) },
        { what: `POST /orders without an Idempotency-Key, wrk closed loop of ${P.concurrency} (req/s)`, fn: wrkPost(order.url("/orders"), auth, false) },
      ])) as [Figure, Figure, Figure, Figure, Figure];
      await bare.stop();
      const keyedBaseline = { name: `pgbench of the same statement (key lock, key INSERT unless a live answer is stored, event + outbox INSERT if claimed), ${P.concurrency} clients`, value: orderTx };
      rows.push({ figure: "POST /orders throughput, an Idempotency-Key on every request", value: place, unit: "req/s", baseline: keyedBaseline, target: "≥ 0.7× baseline" });
      rows.push({ figure: "POST /orders alternative: bare node:http + pg, same keyed statement (no express, Prisma, zod, auth, logs)", value: barePlace, unit: "req/s", baseline: keyedBaseline });
      rows.push({ figure: "POST /orders throughput without an Idempotency-Key (one group-committed INSERT)", value: unkeyedPlace, unit: "req/s", baseline: { name: `pgbench of that statement, ${P.concurrency} clients`, value: unkeyedTx }, target: "≥ 0.7× baseline" });
      const pl = (await openLoop(post(order), { ratePerSecond: place.median / 2, durationMs: P.windowMs })).latencyMs;
      rows.push({ figure: "POST /orders latency at half load (with an Idempotency-Key), p50 / p99 / p99.9", value: figure([pl.p50]), display: `${round(pl.p50)} / ${round(pl.p99)} / ${round(pl.p999)}`, unit: "ms" });
      await order.stop();
      services.splice(services.indexOf(order), 1);
    }

    if (parts.has("saga")) {
      // the baseline, when the orders part did not measure it (before the flow starts: its rows must not reach the relay)
      orderTx ??= await repeat(keyedTxWhat, placeOrderKeyedTx(P.concurrency));
      // -- the saga end to end, on empty tables and topics of its own
      const flow = await startSaga(sagaKafka, { order: 3301, payment: 3302, shipping: 3303, relay: 3304, provider: 3307 }, 0);
      services.push(...flow.all);
      const { saga, order: sagaOrder } = flow;
      // beside it, the same four hops in bare kafkajs + pg (src/bare-saga.ts), measured in turns
      const bareSaga = await startBareSaga(3398);
      stopAtEnd.push(bareSaga.stop);
      const barePost = jsonPost(`${bareSaga.url}/orders`, () => anOrder(), withIdempotencyKey({}));
      const bareShipped = async () => Number((await sql<{ n: string }>("order", "SELECT count(*) AS n FROM bare_orders WHERE status = 'SHIPPED'"))[0]!.n);
      // completed sagas/s at saturation, and where the CPU went meanwhile (the last run's)
      const cpuAt: Record<"orderflow" | "bare", Awaited<ReturnType<typeof whereCpuGoes>>> = {} as never;
      const atSaturation = (side: "orderflow" | "bare", req: Request, shipped: () => Promise<number>, procs: Named[]) => async () => {
        const r = await whereCpuGoes(procs, () => sagasAtSaturation(req, shipped));
        cpuAt[side] = r;
        return r.result;
      };
      const [sagaRate, bareSagaRate] = (await interleaved([
        { what: "completed sagas/s at saturation", fn: atSaturation("orderflow", post(sagaOrder), shippedCount, named(flow.all)) },
        { what: "bare kafkajs + pg saga, completed sagas/s at saturation", fn: atSaturation("bare", barePost, bareShipped, bareSaga.procs) },
      ])) as [Figure, Figure];
      const cpuPerSaga = (side: "orderflow" | "bare", rate: Figure) => `${cpuAt[side].display}; ≈ ${round((10 * cpuAt[side].total) / rate.median, 1)} ms of CPU per saga`;
      const orderTxBaseline = { name: "pgbench POST /orders keyed statement (above)", value: orderTx };
      rows.push({ figure: "CPU busy during the saturation runs (2 cores = 200%)", value: figure([cpuAt.orderflow.total]), display: cpuPerSaga("orderflow", sagaRate), unit: "" });
      rows.push({ figure: "completed sagas/s", value: sagaRate, unit: "sagas/s", baseline: orderTxBaseline, target: "≥ 0.2× baseline" });
      rows.push({ figure: `completed sagas/s alternative: ${BARE_SAGA}`, value: bareSagaRate, unit: "sagas/s", baseline: orderTxBaseline });
      rows.push({ figure: "completed sagas/s, Orderflow beside the bare saga", value: sagaRate, unit: "sagas/s", baseline: { name: "bare kafkajs + pg saga", value: bareSagaRate } });
      rows.push({ figure: "CPU busy during the bare saga's saturation runs", value: figure([cpuAt.bare.total]), display: cpuPerSaga("bare", bareSagaRate), unit: "" });
      // half the maximum sustainable rate, lag and memory sampled every second
      sagaHalfRate = sagaRate.median / 2;
      const lagSamples: number[] = [];
      const rss: Record<string, number[]> = {};
      const sampler = setInterval(() => {
        for (const s of saga) (rss[s.name] ??= []).push(rssMb(s));
        void Promise.all(["order", "order-projection", "payment", "shipping"].map(async (g) => (await consumerGroupLag(sagaKafka, g)).reduce((n, p) => n + (p.lag ?? 0), 0))).then((l) => lagSamples.push(l.reduce((a, b) => a + b, 0)), () => {});
      }, 1000);
      const fromId = await now();
      progress(`saga at half load: ${round(sagaHalfRate)} orders/s for ${P.sagaWindowMs / 1000} s`);
      await openLoop(post(sagaOrder), { ratePerSecond: sagaHalfRate, durationMs: P.sagaWindowMs });
      const lat2 = await placedToShipped(fromId);
      clearInterval(sampler);
      const e2e = percentiles(lat2);
      rows.push({ figure: "placed→shipped p50, half load", value: figure([e2e.p50]), unit: "ms", target: "≤ 30 ms" });
      rows.push({ figure: "placed→shipped p99, half load", value: figure([e2e.p99]), unit: "ms", target: "≤ 100 ms" });
      rows.push({ figure: "placed→shipped p99.9, half load", value: figure([e2e.p999]), unit: "ms" });
      // where that time goes: each hop
      const hops = await hopLatencies(fromId, lat2.length);
      rows.push({ figure: "placed→shipped by hop, p50 / p99, half load", value: figure([hops.sumOfP50s]), display: hops.display, unit: "ms" });
      const third = Math.max(1, Math.floor(lagSamples.length / 3));
      const lagFirst = Math.max(...lagSamples.slice(0, third));
      const lagLast = Math.max(...lagSamples.slice(-third));
      rows.push({ figure: "total consumer lag, max in first → last third of the window", value: figure([lagLast]), display: `${lagFirst} → ${lagLast}`, unit: "records", target: "flat", met: lagLast <= Math.max(10, lagFirst * 1.5) });
      for (const [name, samples] of Object.entries(rss)) {
        const ok = samples.filter(Number.isFinite);
        // after a few seconds of warm-up (JIT, pools) to the end of the window
        const warm = ok[Math.min(ok.length - 1, 5)] ?? NaN;
        rows.push({ figure: `${name} RSS, warm → end`, value: figure([ok.at(-1) ?? NaN]), display: `${round(warm)} → ${round(ok.at(-1) ?? NaN)}`, unit: "MB", target: "flat", met: (ok.at(-1) ?? 0) <= warm * 1.25 });
      }
      // the floor: the same flow with the machine nearly idle, so what load adds shows beside it
      const fromIdle = await now();
      progress("saga at 5 orders/s");
      await openLoop(post(sagaOrder), { ratePerSecond: 5, durationMs: Math.min(P.sagaWindowMs, 20_000) });
      const idle = percentiles(await placedToShipped(fromIdle));
      rows.push({ figure: "placed→shipped p50 / p99 at 5 orders/s (the floor: four relay hops and consumers, the machine nearly idle)", value: figure([idle.p50]), display: `${round(idle.p50)} / ${round(idle.p99)}`, unit: "ms" });
      // the bare saga at half its own maximum rate, and at 5 orders/s (a minute at most: the
      // ten-minute window of the full profile is for Orderflow's lag and memory)
      for (const [what, rate, window] of [["half its own max sustainable rate", bareSagaRate.median / 2, Math.min(P.sagaWindowMs, 60_000)], ["5 orders/s", 5, Math.min(P.sagaWindowMs, 20_000)]] as const) {
        const from = await now();
        progress(`bare saga at ${round(rate)} orders/s`);
        await openLoop(barePost, { ratePerSecond: rate, durationMs: window });
        await waitFor("the bare flow to drain", async () => Number((await sql<{ n: string }>("order", "SELECT count(*) AS n FROM bare_orders WHERE placed_at >= $1 AND status <> 'SHIPPED'", [from]))[0]!.n) === 0, 300_000);
        const l = percentiles((await sql<{ ms: number }>("order", "SELECT extract(epoch FROM shipped_at - placed_at) * 1000 AS ms FROM bare_orders WHERE placed_at >= $1", [from])).map((r) => Number(r.ms)));
        rows.push({ figure: `placed→shipped p50 / p99 at ${what}, ${BARE_SAGA}`, value: figure([l.p50]), display: `${round(l.p50)} / ${round(l.p99)}`, unit: "ms" });
      }
      // the machine to the next part
      await Promise.all([flow.stop(), bareSaga.stop()]);
    }

    if (parts.has("slow-provider")) {
      // -- payment with its card provider answering in SLOW_PROVIDER_MS (it calls the provider
      //    outside its transaction, the calls of a run's orders together): the consumer on a
      //    backlog, in turns with a provider answering at once; then the whole flow at the saga
      //    part's load
      const fast = await startProvider(3355, 0);
      const slow = await startProvider(3357, SLOW_PROVIDER_MS);
      services.push(fast.service, slow.service);
      await ensureTopics(slowPaymentKafka);
      await sql("payment", "TRUNCATE payments, inbox, outbox");
      const n = P.slowProviderRecords;
      const [slowRate, fastRate] = (await interleaved([
        { what: `payment consumer with inbox, provider answering in ${SLOW_PROVIDER_MS} ms (events/s)`, fn: (i) => paymentFromBacklog(slowPaymentKafka, slow.paymentEnv, 3360 + 2 * i, n) },
        { what: "payment consumer with inbox, provider answering at once (events/s)", fn: (i) => paymentFromBacklog(slowPaymentKafka, fast.paymentEnv, 3361 + 2 * i, n) },
      ])) as [Figure, Figure];
      await Promise.all([fast.service.stop(), slow.service.stop()]);
      rows.push({ figure: `consumer with inbox (payment, provider answering in ${SLOW_PROVIDER_MS} ms)`, value: slowRate, unit: "events/s", baseline: { name: "the same, provider answering at once (in turns)", value: fastRate } });

      const flow = await startSaga(slowSagaKafka, { order: 3351, payment: 3352, shipping: 3353, relay: 3354, provider: 3356 }, SLOW_PROVIDER_MS);
      services.push(...flow.all);
      let rate: number;
      let load: string;
      if (sagaHalfRate !== undefined) {
        rate = sagaHalfRate;
        load = "the saga part's half load, above";
        // warm-up (JIT, pools), as the saga part's saturation runs warmed its services
        const w = await now();
        await openLoop(post(flow.order), { ratePerSecond: rate, durationMs: 3000 });
        await placedToShipped(w);
      } else {
        const sat = await repeat(`completed sagas/s at saturation, provider answering in ${SLOW_PROVIDER_MS} ms`, () => sagasAtSaturation(post(flow.order), shippedCount));
        rows.push({ figure: `completed sagas/s, provider answering in ${SLOW_PROVIDER_MS} ms`, value: sat, unit: "sagas/s" });
        rate = sat.median / 2;
        load = "half its own max sustainable rate";
      }
      const window = Math.min(P.sagaWindowMs, 60_000);
      const from = await now();
      progress(`saga, provider answering in ${SLOW_PROVIDER_MS} ms: ${round(rate)} orders/s for ${window / 1000} s`);
      await openLoop(post(flow.order), { ratePerSecond: rate, durationMs: window });
      const lat = await placedToShipped(from);
      const e2e = percentiles(lat);
      const hops = await hopLatencies(from, lat.length);
      await flow.stop();
      const at = `provider answering in ${SLOW_PROVIDER_MS} ms, ${round(rate, 0)} orders/s (${load})`;
      rows.push({ figure: `placed→shipped p50 / p99, ${at}`, value: figure([e2e.p50]), display: `${round(e2e.p50)} / ${round(e2e.p99)}`, unit: "ms" });
      rows.push({ figure: `placed→shipped by hop, p50 / p99, ${at}`, value: figure([hops.sumOfP50s]), display: hops.display, unit: "ms" });
    }

  } finally {
    await Promise.all([...services.map((s) => s.stop()), ...stopAtEnd.map((stop) => stop())]);
    await deletePrefixedTopics(kafka).catch(() => {}); // the saga's prefix starts with this one
    await dropDatabases().catch(() => {});
  }

  for (const r of rows) {
    if (r.baseline) r.ratio = round(r.value.median / r.baseline.value.median, 2);
    if (r.met === undefined && r.target) {
      const m = /([≥≤]) ([\d.]+)(×| ms)/.exec(r.target);
      if (m) {
        const v = m[3] === "×" ? r.ratio! : r.value.median;
        r.met = m[1] === "≥" ? v >= Number(m[2]) : v <= Number(m[2]);
      }
    }
  }
  writeResults(rows);
}

function writeResults(rows: Row[]): void {
  const dir = path.join(import.meta.dirname, "..", "results");
  fs.mkdirSync(dir, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  fs.writeFileSync(path.join(dir, "latest.json"), JSON.stringify({ profile: profileName, settings: P, machine, at: new Date().toISOString(), rows }, null, 2) + "\n");
  const f = (x: Figure) => (x.runs.length > 1 ? `${round(x.median)} (${round(x.min)}–${round(x.max)})` : `${round(x.median)}`);
  const md = [
    `Benchmarks, ${profileName} profile${parts.size < BENCH_PARTS.length ? ` (${[...parts].join(", ")} only)` : ""} (median of ${P.repeats} runs, spread min–max), ${new Date().toISOString().slice(0, 16)}Z, ${machine}. Broker, PostgreSQL, services and load generator share the machine.`,
    "",
    "| figure | Orderflow | baseline | ratio | target | met |",
    "|---|---:|---|---:|---|---|",
    ...rows.map((r) => `| ${r.figure} | ${r.display ?? f(r.value)} ${r.unit} | ${r.baseline ? `${f(r.baseline.value)} (${r.baseline.name})` : "–"} | ${r.ratio ?? "–"} | ${r.target ?? "–"} | ${r.met === undefined ? "–" : r.met ? "yes" : "**no**"} |`),
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "latest.md"), md);
  process.stdout.write(`\n${md}\nwritten to ${dir}/latest.{json,md}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
