// Orderflow's side of each figure: its services started on the bench's topics and databases, and
// what their tables say about the flow.
import { waitFor } from "@orderflow/infra/stack";
import { ensureTopics, type KafkaClient } from "@orderflow/kafka";
import { DATABASES, Service } from "@orderflow/system-tests/harness";
import pg from "pg";
import type { Profile } from "./context.js";
import { closedLoop, type Request } from "./load.js";
import { pgbenchAsync } from "./pgbench.js";
import { LOG, q, RELAY_BATCH_SIZE, RELAY_ROWS_PER_TX, sampleEvent, sql } from "./samples.js";
import { percentiles, round } from "./stats.js";

/** Each relay run starts from an empty, vacuumed outbox, so every run starts alike: the runs
 *  delete and re-insert tens of thousands of rows a minute, faster than autovacuum visits. */
async function emptyOutbox(table: OutboxTable): Promise<void> {
  await sql("order", `DELETE FROM ${table}`);
  await sql("order", `VACUUM ${table}`);
}

/** Orderflow's relay publishes `outbox`; the bare relay (src/bare-relay.ts) a table of its own shaped alike */
export type OutboxTable = "outbox" | "bare_outbox";

/** `measure` wraps the drain (the rows are inserted before the clock starts) */
export async function relayThroughput(
  table: OutboxTable,
  relayTopic: string,
  n: number,
  measure: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<number> {
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
  const last = await measure(() =>
    waitFor(
      "the relay to publish the rows",
      async () => {
        const [r] = await sql<{ pending: string; last: Date }>(
          "order",
          `SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending, max(published_at) AS last FROM ${table}`,
        );
        return Number(r!.pending) === 0 && r!.last;
      },
      300_000,
    ),
  );
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
export async function relayLatency(
  table: OutboxTable,
  relayTopic: string,
  rate: number,
  durationMs: number,
): Promise<ReturnType<typeof percentiles> & { committedPerSecond: number; from: "commit" | "transaction start" }> {
  await emptyOutbox(table);
  const { event, headers } = sampleEvent();
  const script = `INSERT INTO ${table} (event_id, aggregate_id, topic, key, event_type, payload, headers) SELECT gen_random_uuid(), u, '${q(relayTopic)}', u, pg_current_xact_id()::text, '${q(JSON.stringify(event))}', '${q(JSON.stringify(headers))}' FROM (SELECT gen_random_uuid()::text AS u FROM generate_series(1, ${RELAY_ROWS_PER_TX})) s;\n`;
  await pgbenchAsync(DATABASES.order, script, [
    "-c",
    "8",
    "-j",
    "2",
    "-R",
    String(Math.max(1, Math.round(rate / RELAY_ROWS_PER_TX))),
    "-T",
    String(Math.max(1, Math.round(durationMs / 1000))),
  ]);
  await waitFor(
    "every row published",
    async () =>
      Number(
        (await sql<{ n: string }>("order", `SELECT count(*) AS n FROM ${table} WHERE published_at IS NULL`))[0]!.n,
      ) === 0,
    120_000,
  );
  const [{ on }] = (await sql<{ on: boolean }>(
    "order",
    "SELECT current_setting('track_commit_timestamp') = 'on' AS on",
  )) as [{ on: boolean }];
  // xid8 → xid: its low 32 bits
  const committedAt = on ? "pg_xact_commit_timestamp((event_type::bigint % 4294967296)::text::xid)" : "created_at";
  const rows = await sql<{ ms: number; at: number }>(
    "order",
    `SELECT extract(epoch FROM published_at - ${committedAt}) * 1000 AS ms, extract(epoch FROM ${committedAt}) AS at FROM ${table}`,
  );
  const at = rows.map((r) => Number(r.at));
  const span = Math.max(...at) - Math.min(...at);
  return {
    ...percentiles(rows.map((r) => Number(r.ms))),
    committedPerSecond: span > 0 ? rows.length / span : NaN,
    from: on ? "commit" : "transaction start",
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

/** Orderflow's whole flow on `client`'s topics, from empty tables: the relay, order and its
 *  projection, payment (calling a provider of its own that answers after `providerLatencyMs`) and
 *  shipping. `saga` is
 *  the services of the flow (the provider, an external system's stand-in, is only in `all`). */
export async function startSaga(
  client: KafkaClient,
  ports: { order: number; projection: number; payment: number; shipping: number; relay: number; provider: number },
  providerLatencyMs: number,
): Promise<{ saga: Service[]; order: Service; all: Service[]; stop(): Promise<void> }> {
  await sql("order", "TRUNCATE order_events, outbox, inbox, order_views, projection_positions, parked_keys");
  await sql("payment", "TRUNCATE payments, outbox, inbox, parked_keys");
  await ensureTopics(client);
  const provider = await startProvider(ports.provider, providerLatencyMs);
  const env = { ...LOG, KAFKA_TOPIC_PREFIX: client.physical("") };
  const saga = await Promise.all([
    Service.start("outbox-relay", ports.relay, env),
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
  return { saga, order: saga[1]!, all, stop };
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
