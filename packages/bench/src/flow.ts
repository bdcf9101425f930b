// Orderflow's side of each figure: its services started on the bench's topics and databases, and
// what their tables say about the flow.
import { randomUUID } from "node:crypto";
import { waitFor } from "@orderflow/infra/stack";
import { ensureTopic, ensureTopics, type KafkaClient } from "@orderflow/kafka";
import { DATABASES, Service } from "@orderflow/system-tests/harness";
import type { Profile } from "./context.js";
import { closedLoop, type Request } from "./load.js";
import { pgbenchAsync } from "./pgbench.js";
import { dropSlots, LOG, q, RELAY_BATCH_SIZE, RELAY_ROWS_PER_TX, sampleEvent, slotPrefix, sql } from "./samples.js";
import { percentiles, round } from "./stats.js";

/** A relay under test: the database and table it publishes, and its process (paused while a
 *  backlog is written). Orderflow's relay publishes `outbox` (poll mode in the order database,
 *  wal mode in the payment database: a wal relay would otherwise publish the poll runs' rows
 *  too); the bare relay (src/bare-relay.ts) a table of its own shaped alike. */
export interface RelayUnderTest {
  db: "order" | "payment";
  table: OutboxTable;
  pid: number;
}
type OutboxTable = "outbox" | "bare_outbox";

/** Each relay run starts from an empty, vacuumed outbox, so every run starts alike: the runs
 *  delete and re-insert tens of thousands of rows a minute, faster than autovacuum visits. */
async function emptyOutbox({ db, table }: RelayUnderTest): Promise<void> {
  await sql(db, `DELETE FROM ${table}`);
  await sql(db, `VACUUM ${table}`);
}

let relayTopics = 0;
/** A topic for one run only, so reading it back reads exactly that run's records, stamped with
 *  the broker's clock as it appends each (LogAppendTime): with acks=all on one broker, the moment
 *  it acknowledges them. */
async function runTopic(client: KafkaClient): Promise<string> {
  const name = `bench-relay-${++relayTopics}`;
  const retentionMs = 3_600_000;
  await ensureTopic(client, { name, partitions: 6, retentionMs });
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2, // ConfigResourceTypes.TOPIC
          name: client.physical(name),
          // alterConfigs replaces the topic's settings: retention.ms again
          configEntries: [
            { name: "message.timestamp.type", value: "LogAppendTime" },
            { name: "retention.ms", value: String(retentionMs) },
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  return name;
}

/** until `topic` holds `n` records (its end offsets) */
async function published(client: KafkaClient, topic: string, n: number): Promise<void> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      `${n} records on ${topic}`,
      async () => (await admin.fetchTopicOffsets(client.physical(topic))).reduce((a, p) => a + Number(p.high), 0) >= n,
      300_000,
    );
  } finally {
    await admin.disconnect();
  }
}

/** every record of `topic` (it holds `n`): the broker's append time (ms) and the bench-xid header */
async function appended(
  client: KafkaClient,
  topic: string,
  n: number,
): Promise<{ at: number; xid: string | undefined }[]> {
  const consumer = client.kafka.consumer({
    groupId: client.physical(`bench-read-${randomUUID()}`),
    maxWaitTimeInMs: 100,
  });
  const out: { at: number; xid: string | undefined }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [client.physical(topic)], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${n} records of ${topic}`)), 60_000);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages)
              out.push({ at: Number(m.timestamp), xid: m.headers?.["bench-xid"]?.toString() });
            if (out.length >= n) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Relay throughput on a backlog: `n` rows written while the relay's process is paused
 *  (SIGSTOP), in transactions of RELAY_ROWS_PER_TX as the services write them (a wal relay sends
 *  a transaction whole), then the clock starts as it is resumed and stops at the broker's append
 *  of the last record. Every relay is timed alike, whatever it does with the rows afterwards (poll
 *  mode marks them, wal mode deletes them). `measure` wraps the drain. */
export async function relayThroughput(
  relay: RelayUnderTest,
  client: KafkaClient,
  n: number,
  measure: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<number> {
  await emptyOutbox(relay);
  const topic = await runTopic(client);
  const { event, headers } = sampleEvent();
  const transactions = Math.ceil(n / RELAY_ROWS_PER_TX);
  let t0 = 0;
  process.kill(relay.pid, "SIGSTOP");
  try {
    await sql(
      relay.db,
      `DO $$ BEGIN FOR i IN 1..${transactions} LOOP
        INSERT INTO ${relay.table} (event_id, aggregate_id, topic, key, event_type, payload, headers)
          SELECT gen_random_uuid(), k, '${q(topic)}', k, 'OrderPlaced', '${q(JSON.stringify(event))}'::jsonb, '${q(JSON.stringify(headers))}'::jsonb
            FROM (SELECT gen_random_uuid()::text AS k FROM generate_series(1, ${RELAY_ROWS_PER_TX})) s;
        COMMIT;
      END LOOP; END $$`,
    );
  } finally {
    t0 = Date.now();
    process.kill(relay.pid, "SIGCONT");
  }
  const total = transactions * RELAY_ROWS_PER_TX;
  await measure(() => published(client, topic, total));
  const last = Math.max(...(await appended(client, topic, total)).map((r) => r.at));
  return total / ((last - t0) / 1000);
}

/** Commit→ack latency: rows committed at `rate` per second by pgbench (`--rate`: Poisson
 *  arrivals, a C client, so the generator's own CPU does not cap the rate; the rate PostgreSQL
 *  kept up with is returned), RELAY_ROWS_PER_TX per transaction: one row per transaction commits
 *  at ~1 000–1 700/s here (notifying commits serialise), short of half the relay's throughput;
 *  the services write their outbox rows in runs too. Each row carries its transaction id in a
 *  header (`bench-xid`), so its commit time comes from PostgreSQL's commit timestamps
 *  (track_commit_timestamp, on in the local stack), and its ack time is the broker's append
 *  time of the record on the run's topic: the same measure for every relay and mode, whether
 *  or not it marks its rows. */
export async function relayLatency(
  relay: RelayUnderTest,
  client: KafkaClient,
  rate: number,
  durationMs: number,
): Promise<ReturnType<typeof percentiles> & { committedPerSecond: number }> {
  const [{ on }] = (await sql<{ on: boolean }>(
    relay.db,
    "SELECT current_setting('track_commit_timestamp') = 'on' AS on",
  )) as [{ on: boolean }];
  if (!on) throw new Error("the relay's commit→ack latency needs PostgreSQL with track_commit_timestamp = on");
  await emptyOutbox(relay);
  const topic = await runTopic(client);
  const { event, headers } = sampleEvent();
  // xid8 → xid: its low 32 bits, as pg_xact_commit_timestamp takes it
  const script = `INSERT INTO ${relay.table} (event_id, aggregate_id, topic, key, event_type, payload, headers) SELECT gen_random_uuid(), u, '${q(topic)}', u, 'OrderPlaced', '${q(JSON.stringify(event))}', '${q(JSON.stringify(headers))}'::jsonb || jsonb_build_object('bench-xid', (pg_current_xact_id()::text::bigint % 4294967296)::text) FROM (SELECT gen_random_uuid()::text AS u FROM generate_series(1, ${RELAY_ROWS_PER_TX})) s;\n`;
  const out = await pgbenchAsync(DATABASES[relay.db], script, [
    "-c",
    "8",
    "-j",
    "2",
    "-R",
    String(Math.max(1, Math.round(rate / RELAY_ROWS_PER_TX))),
    "-T",
    String(Math.max(1, Math.round(durationMs / 1000))),
  ]);
  const m = /number of transactions actually processed: (\d+)/.exec(out);
  if (!m) throw new Error(`pgbench printed no transaction count:\n${out}`);
  const n = Number(m[1]) * RELAY_ROWS_PER_TX;
  await published(client, topic, n);
  const records = await appended(client, topic, n);
  const xids = [...new Set(records.map((r) => r.xid ?? ""))];
  const commits = await sql<{ xid: string; at: number }>(
    relay.db,
    "SELECT x AS xid, extract(epoch FROM pg_xact_commit_timestamp(x::xid)) * 1000 AS at FROM unnest($1::text[]) x",
    [xids],
  );
  const committedAt = new Map(commits.map((c) => [c.xid, Number(c.at)]));
  const missing = xids.filter((x) => !Number.isFinite(committedAt.get(x)));
  if (missing.length) throw new Error(`no commit timestamp for ${missing.length} transactions (${missing[0]})`);
  const at = [...committedAt.values()];
  const span = (Math.max(...at) - Math.min(...at)) / 1000;
  return {
    ...percentiles(records.map((r) => r.at - committedAt.get(r.xid!)!)),
    committedPerSecond: span > 0 ? n / span : NaN,
  };
}

/** placed→shipped (ms) of the orders placed since `from`, once they all shipped */
export async function placedToShipped(from: Date): Promise<number[]> {
  await waitFor(
    "the flow to drain",
    async () =>
      Number(
        (
          await sql<{ n: string }>(
            "order",
            `SELECT count(*) AS n FROM (SELECT order_id FROM order_events WHERE recorded_at >= $1 GROUP BY order_id HAVING bool_and(type <> 'OrderShipped')) x`,
            [from],
          )
        )[0]!.n,
      ) === 0,
    300_000,
  );
  const rows = await sql<{ ms: number }>(
    "order",
    `SELECT extract(epoch FROM s.recorded_at - p.recorded_at) * 1000 AS ms FROM order_events p JOIN order_events s ON s.order_id = p.order_id AND s.type = 'OrderShipped' WHERE p.type = 'OrderPlaced' AND p.recorded_at >= $1`,
    [from],
  );
  return rows.map((r) => Number(r.ms));
}

/** The card provider's simulator (apps/payment-provider) that payment calls, answering after
 *  `latencyMs`; payment is pointed at it with `paymentEnv`. It logs at warn: it stands for an
 *  external system, and a log line per call would be the bench's CPU, not Orderflow's. */
export async function startProvider(
  port: number,
  latencyMs: number,
): Promise<{ service: Service; paymentEnv: { PAYMENT_PROVIDER_URL: string } }> {
  const service = await Service.start("payment-provider", port, {
    LOG_LEVEL: "warn",
    PROVIDER_LATENCY_MS: String(latencyMs),
  });
  await service.ready();
  return { service, paymentEnv: { PAYMENT_PROVIDER_URL: service.url("") } };
}

/** payment's consumer with its inbox on a backlog: `n` OrderPlaced records produced to
 *  `client`'s order-events first, then payment started with `env` (its group carries on from the
 *  previous run's offsets); events/s from the first to the last of those payments' created_at */
export async function paymentFromBacklog(
  client: KafkaClient,
  env: Record<string, string>,
  port: number,
  n: number,
): Promise<number> {
  const producer = client.kafka.producer();
  await producer.connect();
  const records = Array.from({ length: n }, () => sampleEvent());
  for (let s = 0; s < n; s += RELAY_BATCH_SIZE)
    await producer.send({
      topic: client.physical("order-events"),
      acks: -1,
      messages: records.slice(s, s + RELAY_BATCH_SIZE).map((r) => ({
        key: (r.event.data as { orderId: string }).orderId,
        value: JSON.stringify(r.event),
        headers: r.headers,
      })),
    });
  await producer.disconnect();
  const before = Number((await sql<{ n: string }>("payment", "SELECT count(*) AS n FROM payments"))[0]!.n);
  const svc = await Service.start("payment", port, {
    ...LOG,
    DATABASE_URL: DATABASES.payment,
    KAFKA_TOPIC_PREFIX: client.physical(""),
    ...env,
  });
  try {
    await waitFor(
      "payment to handle every event",
      async () => {
        if (svc.exitCode !== undefined) throw new Error(`payment exited with ${svc.exitCode}: ${svc.tail()}`);
        return Number((await sql<{ n: string }>("payment", "SELECT count(*) AS n FROM payments"))[0]!.n) >= before + n;
      },
      600_000,
    );
  } finally {
    await svc.stop();
  }
  const [span] = await sql<{ first: Date; last: Date }>(
    "payment",
    "SELECT min(created_at) AS first, max(created_at) AS last FROM (SELECT created_at FROM payments ORDER BY created_at DESC LIMIT $1) x",
    [n],
  );
  return n / ((span!.last.getTime() - span!.first.getTime()) / 1000);
}

/** Orderflow's whole flow on `client`'s topics, from empty tables and slots: the relay in wal
 *  mode (the default) on slots named `slots`_*, order and its projection, payment (calling a
 *  provider of its own that answers after `providerLatencyMs`) and shipping. `saga` is the
 *  services of the flow (the provider, an external system's stand-in, is only in `all`). */
export async function startSaga(
  client: KafkaClient,
  ports: { order: number; projection: number; payment: number; shipping: number; relay: number; provider: number },
  providerLatencyMs: number,
  slots = slotPrefix("saga"),
  /** more variables for every service of the flow (a probe's variant) */
  serviceEnv: Record<string, string> = {},
): Promise<{ saga: Service[]; order: Service; relay: Service; all: Service[]; stop(): Promise<void> }> {
  await sql("order", "TRUNCATE order_events, outbox, inbox, order_views, projection_positions, parked_keys");
  await sql("payment", "TRUNCATE payments, outbox, inbox, parked_keys");
  await sql("shipping", "TRUNCATE outbox");
  // a slot left by an earlier run holds the inserts since, which a TRUNCATE does not take back
  await dropSlots(slots);
  await ensureTopics(client);
  const provider = await startProvider(ports.provider, providerLatencyMs);
  const env = { ...LOG, KAFKA_TOPIC_PREFIX: client.physical(""), ...serviceEnv };
  const saga = await Promise.all([
    Service.start("outbox-relay", ports.relay, { ...env, RELAY_MODE: "wal", RELAY_SLOT_PREFIX: slots }),
    Service.start("order", ports.order, env),
    Service.start("order-projection", ports.projection, env),
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
  return { saga, order: saga[1]!, relay: saga[0]!, all, stop };
}

export const shippedCount = async () =>
  Number(
    (await sql<{ n: string }>("order", "SELECT count(*) AS n FROM order_events WHERE type = 'OrderShipped'"))[0]!.n,
  );

/** a burst of orders from a closed loop, then until every one of them shipped: completed sagas/s */
export async function sagasAtSaturation(P: Profile, req: Request, shipped: () => Promise<number>): Promise<number> {
  const before = await shipped();
  const t0 = Date.now();
  const r = await closedLoop(req, { concurrency: P.concurrency, durationMs: P.windowMs });
  await waitFor("the placed orders to ship", async () => (await shipped()) >= before + r.ok, 300_000);
  return r.ok / ((Date.now() - t0) / 1000);
}

const SAGA_HOPS = [
  ["OrderPlaced", "PaymentAuthorized"],
  ["PaymentAuthorized", "OrderPaid"],
  ["OrderPaid", "ShipmentDispatched"],
  ["ShipmentDispatched", "OrderShipped"],
] as const;

/** Each hop's p50 / p99 (relay + consumer, + the dispatcher for shipping) of the `shipped` orders
 *  shipped since `from`, from the handlers' own clocks as the read model's timelines hold them */
export async function hopLatencies(
  from: Date,
  shipped: number,
): Promise<{ sumOfP50s: number; display: string; hops: ReturnType<typeof percentiles>[] }> {
  await waitFor(
    "the read model to hold the shipped orders",
    async () =>
      Number(
        (
          await sql<{ n: string }>(
            "order",
            "SELECT count(*) AS n FROM order_views WHERE status = 'SHIPPED' AND last_event_at >= $1",
            [from],
          )
        )[0]!.n,
      ) >= shipped,
    120_000,
  );
  const timelines = await sql<{ t: { type: string; occurredAt: string }[] }>(
    "order",
    "SELECT doc->'timeline' AS t FROM order_views WHERE status = 'SHIPPED' AND last_event_at >= $1",
    [from],
  );
  const hops = SAGA_HOPS.map(([a, b]) =>
    percentiles(
      timelines.flatMap(({ t }) => {
        const x = t.find((e) => e.type === a),
          y = t.find((e) => e.type === b);
        return x && y ? [Date.parse(y.occurredAt) - Date.parse(x.occurredAt)] : [];
      }),
    ),
  );
  return {
    hops,
    sumOfP50s: hops.reduce((n, h) => n + h.p50, 0),
    display: SAGA_HOPS.map(([a, b], i) => `${a}→${b} ${round(hops[i]!.p50)} / ${round(hops[i]!.p99)}`).join("; "),
  };
}
