// The world a fault test runs in: a private 3-broker KRaft cluster and a private PostgreSQL (so
// brokers and the database can be killed without touching the usual stack), the four services
// as processes that can be killed and started again, an open HTTP load of orders, and the
// invariants checked after every fault.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { consumerGroupLag, createKafkaClient, createPublisher, ensureTopics, listDeadLetters, readTopicToEnd, type KafkaClient, type Publisher } from "@orderflow/kafka";
import { SUBSCRIPTIONS } from "@orderflow/contracts";
import { adminUrl, kafkaDown, kafkaUp, loadStackEnv, pgDown, pgUp, type StackEnv } from "@orderflow/infra/stack";
import pg from "pg";
import { pino } from "pino";
import { anOrder, AUTHORIZATION, DATABASES, migrateAll, repoRoot, Service, TOPIC_PREFIX, waitFor, type LogLine, type ServiceName } from "../test/harness.js";

export const PROFILES = {
  /** what CI runs on every commit */
  ci: { orders: 120, soakMs: 40_000 },
  /** `RELIABILITY_PROFILE=nightly pnpm reliability` */
  nightly: { orders: 400, soakMs: 10 * 60_000 },
} as const;
const profileName = (process.env.RELIABILITY_PROFILE ?? "ci") as keyof typeof PROFILES;
if (!(profileName in PROFILES)) throw new Error(`RELIABILITY_PROFILE must be one of ${Object.keys(PROFILES).join(", ")}`);
export const PROFILE = {
  name: profileName,
  orders: Number(process.env.RELIABILITY_ORDERS ?? PROFILES[profileName].orders),
  soakMs: Number(process.env.RELIABILITY_SOAK_MS ?? PROFILES[profileName].soakMs),
};

const quiet = () => {};

/** The private stack: ports and folder of its own, beside the usual one (vitest.reliability.config.ts
 *  sets the same ports for the harness). The ports sit below Linux's ephemeral range (32768+):
 *  the cluster starts after thousands of client connections, and one of them once held 39094. */
export function reliabilityStackEnv(): StackEnv {
  return loadStackEnv({ ...process.env, ORDERFLOW_STACK_DIR: path.join(repoRoot, ".stack", "reliability"), KAFKA_PORT: "31092", KAFKA_CONTROLLER_PORT: "31093", KAFKA_NODES: "3", PG_PORT: "31432" });
}

export async function stackUp(env: StackEnv): Promise<void> {
  // reuse the jars the usual stack resolved, when it has them
  const jars = path.join(loadStackEnv().ORDERFLOW_STACK_DIR, "kafka", "libs");
  const mine = path.join(env.ORDERFLOW_STACK_DIR, "kafka", "libs");
  if (fs.existsSync(jars) && !fs.existsSync(mine)) fs.cpSync(jars, mine, { recursive: true });
  await Promise.all([kafkaUp(env, quiet), pgUp(env, quiet)]);
}

export async function stackDown(env: StackEnv): Promise<void> {
  await Promise.allSettled([kafkaDown(env, quiet), pgDown(env, quiet)]);
}

/** pino's level labels (the services log them by name) */
const PROBLEM_LEVELS = new Set(["warn", "error", "fatal"]);

type Key = ServiceName | `${ServiceName}#${number}`;
const BASE_PORT: Record<ServiceName, number> = { order: 3201, payment: 3202, shipping: 3203, "outbox-relay": 3204, "ops-console": 3205, "payment-provider": 3206 };

/** fast enough for hundreds of orders a minute; the dispatcher still waits (a window for cancellation) */
const SERVICE_ENV: Record<string, string> = {
  LOG_LEVEL: "info",
  SHUTDOWN_GRACE_MS: "5000",
  CONSUMER_RETRY_INITIAL_MS: "50",
  CONSUMER_RETRY_MAX_MS: "1000",
  SHIPPING_DISPATCH_DELAY_MS: "200",
  RELAY_POLL_INTERVAL_MS: "200",
  DATABASE_POOL_SIZE: "5",
};

export class World {
  readonly services = new Map<Key, Service>();
  /** processes that were stopped: their logs still count */
  private readonly retired: Service[] = [];
  readonly kafka: KafkaClient;
  private publisher: Publisher | undefined;
  readonly accepted = new Set<string>();
  /** requests answered 503 (a dependency away), then retried */
  unavailable = 0;
  /** requests answered 429 (over the rate limit), then retried after Retry-After */
  throttled = 0;
  /** poison records injected per source topic since the start (each consumer group of the topic dead-letters it) */
  poisonByTopic = new Map<string, number>();

  constructor(readonly stack: StackEnv, readonly brokers: string[]) {
    this.kafka = createKafkaClient({ brokers, clientId: "reliability", logger: pino({ level: "silent" }), topicPrefix: TOPIC_PREFIX });
  }

  async setUp(): Promise<void> {
    migrateAll();
    await ensureTopics(this.kafka);
    await Promise.all((["outbox-relay", "order", "payment", "shipping"] as const).map((s) => this.start(s)));
  }

  async tearDown(): Promise<void> {
    await this.publisher?.disconnect().catch(() => {});
    await Promise.all([...this.services.values()].map((s) => s.stop("SIGKILL")));
  }

  get order(): Service {
    return this.services.get("order")!;
  }

  /** `waitReady: false` for a process that may exit on purpose before it is ready (a failpoint) */
  async start(name: ServiceName, replica = 1, env: Record<string, string> = {}, waitReady = true): Promise<Service> {
    const key: Key = replica === 1 ? name : `${name}#${replica}`;
    const s = await Service.start(name, BASE_PORT[name] + (replica - 1) * 10, { ...SERVICE_ENV, KAFKA_BROKERS: this.brokers.join(","), ...env });
    this.services.set(key, s);
    if (waitReady) await s.ready(90_000);
    return s;
  }

  async kill(name: ServiceName, replica = 1, signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    const key: Key = replica === 1 ? name : `${name}#${replica}`;
    const s = this.services.get(key);
    if (!s) throw new Error(`${key} is not running`);
    this.services.delete(key);
    this.retired.push(s);
    return s.stop(signal);
  }

  async restart(name: ServiceName, signal: NodeJS.Signals = "SIGKILL", env: Record<string, string> = {}, waitReady = true): Promise<void> {
    await this.kill(name, 1, signal);
    await this.start(name, 1, env, waitReady);
  }

  /** log lines with this message across every process this world started */
  logCount(msg: string): number {
    return [...this.retired, ...this.services.values()].reduce((n, s) => n + s.find({ msg }).length, 0);
  }

  /** What went wrong inside the services since `sinceMs`: their warn, error and fatal lines by
   *  process and message, with a count and the last one's error, so a failed fault in CI says why
   *  without the service logs (which stay on the CI machine, under .stack/test-logs). */
  problemsSince(sinceMs: number, perProcess = 6): string {
    const out: string[] = [];
    for (const s of [...this.retired, ...this.services.values()]) {
      const byMsg = new Map<string, { n: number; last: LogLine }>();
      for (const l of s.lines) {
        if (!PROBLEM_LEVELS.has(String(l.level)) || Date.parse(String(l.time)) < sinceMs) continue;
        const seen = byMsg.get(l.msg);
        byMsg.set(l.msg, { n: (seen?.n ?? 0) + 1, last: l });
      }
      if (byMsg.size === 0) continue;
      const top = [...byMsg.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, perProcess);
      const detail = top.map(([msg, { n, last }]) => {
        const why = [last.consumerGroup, last.errorClass, last.errorMessage ?? (last.err as { message?: string } | undefined)?.message].filter(Boolean).join(" ");
        return `${n}× ${msg}${why ? ` (${String(why).slice(0, 160)})` : ""}`;
      });
      out.push(`${s.name}:${s.port}${s.exitCode !== undefined ? ` exited ${s.exitCode}` : ""}: ${detail.join("; ")}`);
    }
    return out.length ? out.join("\n") : "no warnings or errors logged";
  }

  // ---- load ----

  /** POST `n` orders, `concurrency` at a time; one in `declineEvery` is above the payment limit
   *  (its saga ends CANCELLED). A 503 or a refused connection is retried, a 429 after its
   *  Retry-After, as a well-behaved client does: only 202s count. */
  async placeOrders(n: number, opts: { concurrency?: number; declineEvery?: number; deadlineMs?: number } = {}): Promise<string[]> {
    const concurrency = opts.concurrency ?? 8;
    const declineEvery = opts.declineEvery ?? 7;
    const deadline = Date.now() + (opts.deadlineMs ?? 180_000);
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const body = anOrder({ customerId: `rel-${i % 17}`, unitPrice: i % declineEvery === 0 ? 90_000 : 1250 });
        for (let attempt = 1; ; attempt++) {
          if (Date.now() > deadline) throw new Error(`order ${i} not accepted before the deadline (${this.unavailable} answers were 503)`);
          const order = this.services.get("order");
          try {
            if (!order) throw new Error("order service restarting");
            const r = await fetch(order.url("/orders"), { method: "POST", headers: { "content-type": "application/json", authorization: AUTHORIZATION }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
            if (r.status === 202) {
              const id = ((await r.json()) as { orderId: string }).orderId;
              this.accepted.add(id);
              ids.push(id);
              break;
            }
            if (r.status === 429) {
              // the rate limit (200 writes/s per client by default): the load outran it
              this.throttled++;
              await r.arrayBuffer();
              await new Promise((res) => setTimeout(res, 1000 * Math.max(1, Number(r.headers.get("retry-after") ?? 1))));
              continue;
            }
            if (r.status !== 503) throw new Error(`POST /orders answered ${r.status}: ${await r.text()}`);
            this.unavailable++;
          } catch (e) {
            if (e instanceof Error && e.message.startsWith("POST /orders answered")) throw e;
          }
          await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return ids;
  }

  async producer(): Promise<Publisher> {
    if (!this.publisher) {
      this.publisher = createPublisher(this.kafka);
      await this.publisher.connect();
    }
    return this.publisher;
  }

  /** Records no consumer can read (not JSON), each under a key of its own so no real order is parked. */
  async injectPoison(topic: "order-events" | "payment-events" | "shipping-events", n: number): Promise<void> {
    const p = await this.producer();
    await p.send(Array.from({ length: n }, () => ({ topic, key: randomUUID(), value: Buffer.from(`{"poison": true, not json`), headers: { "correlation-id": `poison-${randomUUID()}` } })));
    this.poisonByTopic.set(topic, (this.poisonByTopic.get(topic) ?? 0) + n);
  }

  // ---- invariants ----

  async query<T extends pg.QueryResultRow>(db: keyof typeof DATABASES, sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: DATABASES[db], connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  }

  private async unpublishedOutboxRows(): Promise<number> {
    let n = 0;
    for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[]) n += Number((await this.query<{ n: string }>(db, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"))[0]!.n);
    return n;
  }

  /** the group's total lag; undefined while a partition with records has no committed offset */
  async lagOf(group: string): Promise<number | undefined> {
    const lag = await consumerGroupLag(this.kafka, group);
    if (lag.some((p) => p.lag === null && p.logEndOffset !== "0")) return undefined;
    return lag.reduce((s, p) => s + (p.lag ?? 0), 0);
  }

  /** distinct failures on the dead-letter topics: a consumer killed between its dead-letter write
   *  and its offset commit writes the same record again, which is the same dead letter */
  private async deadLettered(): Promise<number> {
    return (await listDeadLetters(this.kafka, { state: "all" })).length;
  }

  expectedDeadLetters(): number {
    let n = 0;
    for (const [topic, count] of this.poisonByTopic) n += count * SUBSCRIPTIONS.filter((s) => (s.topics as readonly string[]).includes(topic)).length;
    return n;
  }

  /** Waits for the flow to settle (every order terminal, outboxes empty, lag 0), then checks I1–I5. */
  async settleAndCheck(timeoutMs = 180_000): Promise<Verdict> {
    const started = Date.now();
    const notTerminal = async () =>
      (await this.query<{ order_id: string }>("order", `SELECT order_id FROM (SELECT DISTINCT ON (order_id) order_id, type FROM order_events ORDER BY order_id, sequence DESC) last WHERE type NOT IN ('OrderShipped', 'OrderCancelled')`)).length;
    let settleError: string | undefined;
    try {
      await waitFor("every order terminal, outboxes published, every group caught up", async () => {
        if ((await notTerminal()) > 0) return false;
        if ((await this.unpublishedOutboxRows()) > 0) return false;
        for (const s of SUBSCRIPTIONS) if ((await this.lagOf(s.group)) !== 0) return false;
        return true;
      }, timeoutMs);
    } catch (e) {
      settleError = (e as Error).message;
    }
    const settleMs = Date.now() - started;

    const perOrder = await this.query<{ order_id: string; last: string; paid: string; cancelled: string; shipped: string; declined: string }>(
      "order",
      `SELECT order_id,
              (array_agg(type ORDER BY sequence DESC))[1] AS last,
              count(*) FILTER (WHERE type = 'OrderPaid') AS paid,
              count(*) FILTER (WHERE type = 'OrderCancelled') AS cancelled,
              count(*) FILTER (WHERE type = 'OrderShipped') AS shipped,
              count(*) FILTER (WHERE type = 'OrderCancelled' AND data->>'reason' = 'PAYMENT_DECLINED') AS declined
         FROM order_events GROUP BY order_id`,
    );
    const payments = new Map((await this.query<{ order_id: string; n: string }>("payment", "SELECT order_id, count(*) AS n FROM payments GROUP BY order_id")).map((r) => [r.order_id, Number(r.n)]));
    const shipments = new Map((await this.query<{ order_id: string; n: string }>("shipping", "SELECT order_id, count(*) AS n FROM shipments GROUP BY order_id")).map((r) => [r.order_id, Number(r.n)]));
    const known = new Set(perOrder.map((o) => o.order_id));

    const lost = [...this.accepted].filter((id) => !known.has(id)).length + perOrder.filter((o) => o.last !== "OrderShipped" && o.last !== "OrderCancelled").length;
    let duplicated = 0;
    const i1: string[] = [];
    const i2: string[] = [];
    for (const o of perOrder) {
      const paid = Number(o.paid), cancelled = Number(o.cancelled), shipped = Number(o.shipped), declined = Number(o.declined);
      if (paid > 1 || shipped > 1 || cancelled > 1 || (payments.get(o.order_id) ?? 0) > 1 || (shipments.get(o.order_id) ?? 0) > 1) duplicated++;
      // I1: one payment outcome, recorded once by payment and once by the order
      if (payments.get(o.order_id) !== 1 || paid + declined !== 1) i1.push(o.order_id);
      // I2: a paid order that was not cancelled ships exactly once; a cancelled one never
      if (paid === 1 && cancelled === 0 ? shipments.get(o.order_id) !== 1 || shipped !== 1 : shipped !== 0) i2.push(o.order_id);
    }
    const unpublished = await this.unpublishedOutboxRows();
    const dead = await this.deadLettered();
    const lags: Record<string, number | undefined> = {};
    for (const s of SUBSCRIPTIONS) lags[s.group] = await this.lagOf(s.group);
    const failed: string[] = [];
    if (i1.length) failed.push(`I1 (${i1.length} orders without exactly one payment outcome, e.g. ${i1[0]})`);
    if (i2.length) failed.push(`I2 (${i2.length} orders without exactly one shipment, e.g. ${i2[0]})`);
    if (unpublished) failed.push(`I3 (${unpublished} outbox rows unpublished)`);
    if (dead !== this.expectedDeadLetters()) failed.push(`I4 (${dead} dead letters, ${this.expectedDeadLetters()} poison expected)`);
    const lagging = Object.entries(lags).filter(([, l]) => l !== 0);
    if (lagging.length) failed.push(`I5 (lag ${lagging.map(([g, l]) => `${g}=${l ?? "uncommitted"}`).join(", ")})`);
    if (lost) failed.push(`terminal (${lost} orders lost or not terminal)`);
    if (failed.length) {
      const stuck = [...new Set([...i1, ...i2, ...perOrder.filter((o) => o.last !== "OrderShipped" && o.last !== "OrderCancelled").map((o) => o.order_id)])].slice(0, 2);
      for (const id of stuck) failed.push(`where ${id} stands: ${await this.whereIs(id).catch((e: Error) => `(could not tell: ${e.message})`)}`);
    }
    return { orders: perOrder.length, accepted: this.accepted.size, lost, duplicated, terminal: perOrder.length - perOrder.filter((o) => o.last !== "OrderShipped" && o.last !== "OrderCancelled").length, deadLettered: dead, failed, settleMs, ...(settleError ? { settleError } : {}) };
  }

  /** An order's trail through the flow: outbox rows, the records on the wire, what each group's
   *  inbox holds. A failed invariant says where the order got stuck (lost on the wire, or skipped). */
  private async whereIs(orderId: string): Promise<string> {
    const parts: string[] = [];
    for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[]) {
      const rows = await this.query<{ id: string; event_type: string; event_id: string; published: boolean }>(db, "SELECT id::text, event_type, event_id::text, published_at IS NOT NULL AS published FROM outbox WHERE key = $1 ORDER BY id", [orderId]);
      if (rows.length) parts.push(`${db} outbox [${rows.map((r) => `#${r.id} ${r.event_type} ${r.event_id}${r.published ? "" : " UNPUBLISHED"}`).join(", ")}]`);
    }
    const inboxes = new Map<string, string[]>();
    for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[]) {
      for (const r of await this.query<{ consumer_group: string; event_id: string }>(db, "SELECT consumer_group, event_id::text FROM inbox")) {
        inboxes.set(r.event_id, [...(inboxes.get(r.event_id) ?? []), r.consumer_group.replace(TOPIC_PREFIX, "")]);
      }
    }
    for (const topic of ["order-events", "payment-events", "shipping-events"]) {
      const records = (await readTopicToEnd(this.kafka, topic)).filter((r) => r.key === orderId);
      parts.push(`${topic} [${records.map((r) => `${r.headers["event-type"] ?? "?"}@${r.partition}/${r.offset} in inbox of ${(inboxes.get(r.headers["event-id"] ?? "") ?? []).join("+") || "none"}`).join(", ")}]`);
    }
    const commits: string[] = [];
    for (const s of SUBSCRIPTIONS) for (const p of await consumerGroupLag(this.kafka, s.group)) commits.push(`${s.group}:${p.topic}/${p.partition}@${p.committedOffset}`);
    return `${parts.join("; ")}; commits ${commits.join(" ")}`;
  }

  // ---- faults on the stack ----

  async brokerDown(node: number, kill = true): Promise<void> {
    await kafkaDown(this.stack, quiet, node, kill);
  }
  async brokerUp(node?: number): Promise<void> {
    await kafkaUp(this.stack, quiet, node);
  }
  async postgresDown(): Promise<void> {
    // a crash-like stop: a fast shutdown once waited 64 s on a checkpoint and timed out in CI
    await pgDown(this.stack, quiet, "immediate");
  }
  async postgresUp(): Promise<void> {
    await pgUp(this.stack, quiet);
  }
  adminUrl(): string {
    return adminUrl(this.stack);
  }
}

export interface Verdict {
  orders: number;
  accepted: number;
  lost: number;
  duplicated: number;
  terminal: number;
  deadLettered: number;
  /** invariants that do not hold (empty: all of I1–I5 and every order terminal) */
  failed: string[];
  settleMs: number;
  settleError?: string;
}
