// The world a fault test runs in: a private 3-broker KRaft cluster and a private PostgreSQL (so
// brokers and the database can be killed without touching the usual stack), the four services
// as processes that can be killed and started again, the card provider's simulator they call (never
// restarted: its memory is what I6 counts), an open HTTP load of orders sent with Idempotency-Keys,
// and the invariants checked after every fault.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  consumerGroupLag,
  createKafkaClient,
  createPublisher,
  ensureTopics,
  listDeadLetters,
  readTopicToEnd,
  type DeadLetter,
  type KafkaClient,
  type Publisher,
} from "@orderflow/kafka";
import { SUBSCRIPTIONS } from "@orderflow/contracts";
import {
  adminUrl,
  kafkaDown,
  kafkaLayout,
  kafkaUp,
  loadStackEnv,
  pgDown,
  pgUp,
  type StackEnv,
} from "@orderflow/infra/stack";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import pg from "pg";
import { pino } from "pino";
import { expect, vi } from "vitest";
import {
  anOrder,
  AUTHORIZATION,
  DATABASES,
  migrateAll,
  RELAY_SLOT_PREFIX,
  repoRoot,
  Service,
  TOPIC_PREFIX,
  type LogLine,
  type ServiceName,
} from "../test/harness.js";

const PROFILES = {
  /** what CI runs on every commit */
  ci: { orders: 120, soakMs: 40_000 },
  /** `RELIABILITY_PROFILE=nightly pnpm reliability` */
  nightly: { orders: 400, soakMs: 10 * 60_000 },
} as const;
const profileName = (process.env.RELIABILITY_PROFILE ?? "ci") as keyof typeof PROFILES;
if (!(profileName in PROFILES))
  throw new Error(`RELIABILITY_PROFILE must be one of ${Object.keys(PROFILES).join(", ")}`);
export const PROFILE = {
  name: profileName,
  orders: Number(process.env.RELIABILITY_ORDERS ?? PROFILES[profileName].orders),
  soakMs: Number(process.env.RELIABILITY_SOAK_MS ?? PROFILES[profileName].soakMs),
};

const quiet = () => {};
// ajv-formats is CommonJS with a default export: under NodeNext its default import is the module
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => void;

/** the topics that carry events (I8 reads every record of them) */
const EVENT_TOPICS = ["order-events", "payment-events", "shipping-events"] as const;

/** The private stack: ports and folder of its own, beside the usual one (vitest.reliability.config.ts
 *  sets the same ports for the harness). The ports sit below Linux's ephemeral range (32768+):
 *  the cluster starts after thousands of client connections, and one of them once held 39094. */
export function reliabilityStackEnv(): StackEnv {
  return loadStackEnv({
    ...process.env,
    ORDERFLOW_STACK_DIR: path.join(repoRoot, ".stack", "reliability"),
    KAFKA_PORT: "31092",
    KAFKA_CONTROLLER_PORT: "31093",
    KAFKA_NODES: "3",
    PG_PORT: "31432",
  });
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
const BASE_PORT: Record<ServiceName, number> = {
  order: 3201,
  "order-projection": 3207,
  payment: 3202,
  shipping: 3203,
  "outbox-relay": 3204,
  "ops-console": 3205,
  "payment-provider": 3206,
};

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

/** The relay reads each database's outbox from a logical replication slot (docs/relay.md): set
 *  here, not left to the relay's default, so the suite tests the mode it names. */
export const RELAY_MODE = "wal";
const RELAY_ENV: Record<string, string> = { RELAY_MODE };

/** the replication slot the relay reads for a service database (the harness gives the relay a
 *  slot prefix of this run's own, as slot names are cluster-wide) */
export const slotName = (db: keyof typeof DATABASES): string => `${RELAY_SLOT_PREFIX}_${db}`;

/** a replication slot as pg_replication_slots shows it */
interface Slot {
  name: string;
  active: boolean;
  activePid: number | null;
  confirmedLsn: bigint;
  walStatus: string | null;
}

/** "16/B374D848" as a number, to compare positions */
const lsnOf = (lsn: string): bigint => {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
};

/** One request the provider simulator holds (GET /v1/requests; docs/payment-provider.md). */
interface ProviderRequest {
  key: string;
  operation: "authorization" | "refund";
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
  status: "approved" | "declined" | "refunded" | "refused";
  presentedCount: number;
}
export interface ProviderRequests {
  summary: {
    authorizations: number;
    approved: number;
    declined: number;
    refunds: number;
    refused: number;
    replays: number;
  };
  requests: ProviderRequest[];
}
export interface ProviderFaults {
  latencyMs?: number;
  errorRate?: number;
  lostAnswerRate?: number;
  lostAnswerHoldMs?: number;
}

const INVARIANTS = ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"] as const;
type Invariant = (typeof INVARIANTS)[number];

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
  /** answers to a retry that were the stored first answer (header idempotent-replayed) */
  replayed = 0;
  /** answers 409: a request with the same key was still in flight, retried after a short backoff */
  keyInFlight = 0;
  /** requests whose connection broke after it was made (the order service died with them in flight) */
  died = 0;
  /** requests that found no order service listening (connection refused) */
  refused = 0;
  /** requests without an answer within the client's deadline */
  timedOut = 0;
  /** every Idempotency-Key the clients used, with the order ids its accepted answers named (I7) */
  readonly keys = new Map<string, Set<string>>();
  /** poison records injected per source topic since the start (each consumer group of the topic dead-letters it) */
  poisonByTopic = new Map<string, number>();
  /** the keys of those poison records (random uuids): I8 leaves them out, they fail on purpose */
  readonly poisonKeys = new Set<string>();
  private contracts: { ajv: Ajv2020; validators: Map<string, ValidateFunction> } | undefined;

  constructor(
    readonly stack: StackEnv,
    readonly brokers: string[],
  ) {
    this.kafka = createKafkaClient({
      brokers,
      clientId: "reliability",
      logger: pino({ level: "silent" }),
      topicPrefix: TOPIC_PREFIX,
    });
  }

  async setUp(): Promise<void> {
    migrateAll();
    await ensureTopics(this.kafka);
    // before payment, which calls it; it is never stopped before tearDown (it keeps its records in memory)
    await this.start("payment-provider");
    await Promise.all(
      (["outbox-relay", "order", "order-projection", "payment", "shipping"] as const).map((s) => this.start(s)),
    );
  }

  async tearDown(): Promise<void> {
    await this.publisher?.disconnect().catch(() => {});
    await Promise.all([...this.services.values()].map((s) => s.stop("SIGKILL")));
  }

  get order(): Service {
    return this.services.get("order")!;
  }

  get provider(): Service {
    return this.services.get("payment-provider")!;
  }

  /** `waitReady: false` for a process that may exit on purpose before it is ready (a failpoint) */
  async start(name: ServiceName, replica = 1, env: Record<string, string> = {}, waitReady = true): Promise<Service> {
    const key: Key = replica === 1 ? name : `${name}#${replica}`;
    // every payment (replicas and restarts too) calls the one provider this world started
    const provider: Record<string, string> =
      name === "payment" ? { PAYMENT_PROVIDER_URL: `http://127.0.0.1:${BASE_PORT["payment-provider"]}` } : {};
    const s = await Service.start(name, BASE_PORT[name] + (replica - 1) * 10, {
      ...SERVICE_ENV,
      KAFKA_BROKERS: this.brokers.join(","),
      ...provider,
      ...(name === "outbox-relay" ? RELAY_ENV : {}),
      ...env,
    });
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

  async restart(
    name: ServiceName,
    signal: NodeJS.Signals = "SIGKILL",
    env: Record<string, string> = {},
    waitReady = true,
  ): Promise<void> {
    await this.kill(name, 1, signal);
    await this.start(name, 1, env, waitReady);
  }

  /** log lines with this message across every process this world started */
  logCount(msg: string): number {
    return this.logLines({ msg }).length;
  }

  /** log lines matching every given field across every process this world started */
  logLines(match: Record<string, unknown>): LogLine[] {
    return [...this.retired, ...this.services.values()].flatMap((s) => s.find(match));
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
        const why = [
          last.consumerGroup,
          last.errorClass,
          last.errorMessage ?? (last.err as { message?: string } | undefined)?.message,
        ]
          .filter(Boolean)
          .join(" ");
        return `${n}× ${msg}${why ? ` (${String(why).slice(0, 160)})` : ""}`;
      });
      out.push(`${s.name}:${s.port}${s.exitCode !== undefined ? ` exited ${s.exitCode}` : ""}: ${detail.join("; ")}`);
    }
    return out.length ? out.join("\n") : "no warnings or errors logged";
  }

  // ---- load ----

  /** POST `n` orders, `concurrency` at a time; one in `declineEvery` is above the payment limit
   *  (its saga ends CANCELLED). Each order has an Idempotency-Key of its own, sent again on every
   *  retry of it (and as its correlation-id, so its OrderPlaced names the key: I7). A 503, a 409
   *  (the key in flight), a refused or broken connection and a timeout are retried, a 429 after
   *  its Retry-After, as a well-behaved client does: only 202s count, a replayed one too. */
  async placeOrders(
    n: number,
    opts: { concurrency?: number; declineEvery?: number; deadlineMs?: number } = {},
  ): Promise<string[]> {
    const concurrency = opts.concurrency ?? 8;
    const declineEvery = opts.declineEvery ?? 7;
    const deadline = Date.now() + (opts.deadlineMs ?? 180_000);
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const body = anOrder({ customerId: `rel-${i % 17}`, unitPrice: i % declineEvery === 0 ? 90_000 : 1250 });
        const key = randomUUID();
        const answered = new Set<string>();
        this.keys.set(key, answered);
        for (let attempt = 1; ; attempt++) {
          if (Date.now() > deadline)
            throw new Error(
              `order ${i} (key ${key}) not accepted before the deadline (${this.unavailable} answers were 503)`,
            );
          const order = this.services.get("order");
          try {
            if (!order) throw new Error("order service restarting");
            const r = await fetch(order.url("/orders"), {
              method: "POST",
              headers: {
                "content-type": "application/json",
                authorization: AUTHORIZATION,
                "idempotency-key": key,
                "correlation-id": key,
              },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(10_000),
            });
            if (r.status === 202) {
              const id = ((await r.json()) as { orderId: string }).orderId;
              if (r.headers.get("idempotent-replayed") === "true") this.replayed++;
              answered.add(id);
              this.accepted.add(id);
              ids.push(id);
              break;
            }
            if (r.status === 429) {
              // the rate limit (200 writes/s per client by default): the load outran it
              this.throttled++;
              await r.arrayBuffer();
              await new Promise((res) =>
                setTimeout(res, 1000 * Math.max(1, Number(r.headers.get("retry-after") ?? 1))),
              );
              continue;
            }
            if (r.status === 409) {
              const text = await r.text();
              // only "in flight" is worth a retry: any other conflict is an answer
              if (!text.includes("IDEMPOTENCY_KEY_IN_FLIGHT")) throw new Error(`POST /orders answered 409: ${text}`);
              this.keyInFlight++;
            } else if (r.status !== 503) {
              throw new Error(`POST /orders answered ${r.status}: ${await r.text()}`);
            } else {
              await r.arrayBuffer();
              this.unavailable++;
            }
          } catch (e) {
            if (e instanceof Error && e.message.startsWith("POST /orders answered")) throw e;
            this.countFailure(e);
          }
          await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return ids;
  }

  /** a request that got no answer: never reached a listener, timed out, or died with its connection */
  private countFailure(e: unknown): void {
    if (!(e instanceof Error) || e.message === "order service restarting") return;
    const code = (e.cause as { code?: string } | undefined)?.code;
    if (e.name === "TimeoutError") this.timedOut++;
    else if (code === "ECONNREFUSED") this.refused++;
    else this.died++;
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
    const keys = Array.from({ length: n }, () => randomUUID());
    for (const k of keys) this.poisonKeys.add(k);
    await p.send(
      keys.map((key) => ({
        topic,
        key,
        value: Buffer.from(`{"poison": true, not json`),
        headers: { "correlation-id": `poison-${randomUUID()}` },
      })),
    );
    this.poisonByTopic.set(topic, (this.poisonByTopic.get(topic) ?? 0) + n);
  }

  // ---- the payment provider (docs/payment-provider.md) ----

  /** every request the provider holds, by its idempotency key */
  async providerRequests(): Promise<ProviderRequests> {
    const r = await fetch(this.provider.url("/v1/requests"), { signal: AbortSignal.timeout(15_000) });
    if (r.status !== 200) throw new Error(`provider GET /v1/requests answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as ProviderRequests;
  }

  /** changes the provider's faults while it runs (fields left out keep their value); the settings in force */
  async providerFaults(change: ProviderFaults = {}): Promise<Required<ProviderFaults>> {
    const r = await fetch(this.provider.url("/admin/faults"), {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(change),
      signal: AbortSignal.timeout(5000),
    });
    if (r.status !== 200) throw new Error(`provider PUT /admin/faults answered ${r.status}: ${await r.text()}`);
    const { latencyMs, errorRate, lostAnswerRate, lostAnswerHoldMs } = (await r.json()) as Required<ProviderFaults>;
    return { latencyMs, errorRate, lostAnswerRate, lostAnswerHoldMs };
  }

  /** answers the provider applied and never sent (its lost-answer fault), since it started */
  async providerLostAnswers(): Promise<number> {
    const text = await (await fetch(this.provider.url("/metrics"), { signal: AbortSignal.timeout(5000) })).text();
    return text
      .split("\n")
      .filter((l) => l.startsWith("orderflow_provider_lost_answers_total"))
      .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
  }

  // ---- invariants ----

  async query<T extends pg.QueryResultRow>(
    db: keyof typeof DATABASES,
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const c = new pg.Client({ connectionString: DATABASES[db], connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  }

  /** I3's count: outbox rows not yet known to be on the broker. In wal mode nothing marks a row;
   *  the relay deletes a row once its slot is confirmed past the row's commit (after the broker
   *  acknowledged it), so every row still in the table counts. */
  private async unpublishedOutboxRows(): Promise<number> {
    let n = 0;
    for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[])
      n += Number((await this.query<{ n: string }>(db, "SELECT count(*) AS n FROM outbox"))[0]!.n);
    return n;
  }

  /** the relay's replication slots, by service database (a missing one is absent) */
  async slots(): Promise<Map<keyof typeof DATABASES, Slot>> {
    const c = new pg.Client({ connectionString: this.adminUrl(), connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      const { rows } = await c.query<{
        slot_name: string;
        active: boolean;
        active_pid: number | null;
        confirmed_flush_lsn: string | null;
        wal_status: string | null;
      }>("SELECT slot_name, active, active_pid, confirmed_flush_lsn::text, wal_status FROM pg_replication_slots");
      const out = new Map<keyof typeof DATABASES, Slot>();
      for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[]) {
        const r = rows.find((row) => row.slot_name === slotName(db));
        if (r)
          out.set(db, {
            name: r.slot_name,
            active: r.active,
            activePid: r.active_pid,
            confirmedLsn: lsnOf(r.confirmed_flush_lsn ?? "0/0"),
            walStatus: r.wal_status,
          });
      }
      return out;
    } finally {
      await c.end();
    }
  }

  /** What an operator does to drop a slot the relay reads: end its reader, then drop it. The relay
   *  reconnects within RELAY_POLL_INTERVAL_MS, so the pair is retried until the drop wins. */
  async dropSlot(db: keyof typeof DATABASES): Promise<number> {
    const c = new pg.Client({ connectionString: this.adminUrl(), connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      for (let attempt = 1; ; attempt++) {
        await c.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1", [
          slotName(db),
        ]);
        try {
          await c.query("SELECT pg_drop_replication_slot($1)", [slotName(db)]);
          return attempt;
        } catch (e) {
          // 55006: the relay got there first and reads it again
          if ((e as { code?: string }).code !== "55006" || attempt >= 50) throw e;
        }
      }
    } finally {
      await c.end();
    }
  }

  /** the group's total lag; undefined while a partition with records has no committed offset */
  async lagOf(group: string): Promise<number | undefined> {
    const lag = await consumerGroupLag(this.kafka, group);
    if (lag.some((p) => p.lag === null && p.logEndOffset !== "0")) return undefined;
    return lag.reduce((s, p) => s + (p.lag ?? 0), 0);
  }

  /** distinct failures on the dead-letter topics: a consumer killed between its dead-letter write
   *  and its offset commit writes the same record again, which is the same dead letter */
  private async deadLettered(): Promise<DeadLetter[]> {
    return listDeadLetters(this.kafka, { state: "all" });
  }

  expectedDeadLetters(): number {
    let n = 0;
    for (const [topic, count] of this.poisonByTopic)
      n += count * SUBSCRIPTIONS.filter((s) => (s.topics as readonly string[]).includes(topic)).length;
    return n;
  }

  /** Waits for the flow to settle (every order terminal, outboxes empty, lag 0), then checks I1–I8. */
  async settleAndCheck(timeoutMs = 180_000): Promise<Verdict> {
    const started = Date.now();
    const notTerminal = async () =>
      (
        await this.query<{ order_id: string }>(
          "order",
          `SELECT order_id FROM (SELECT DISTINCT ON (order_id) order_id, type FROM order_events ORDER BY order_id, sequence DESC) last WHERE type NOT IN ('OrderShipped', 'OrderCancelled')`,
        )
      ).length;
    let settleError: string | undefined;
    try {
      // every order terminal, outboxes confirmed and emptied, every group caught up
      await vi.waitFor(
        async () => {
          expect(await notTerminal(), "orders not yet terminal").toBe(0);
          expect(await this.unpublishedOutboxRows(), "unpublished outbox rows").toBe(0);
          for (const s of SUBSCRIPTIONS) expect(await this.lagOf(s.group), `lag of group ${s.group}`).toBe(0);
        },
        { timeout: timeoutMs, interval: 500 },
      );
    } catch (e) {
      settleError = (e as Error).message;
    }
    const settleMs = Date.now() - started;
    const checking = Date.now();

    const perOrder = await this.query<{
      order_id: string;
      last: string;
      paid: string;
      cancelled: string;
      shipped: string;
      declined: string;
    }>(
      "order",
      `SELECT order_id,
              (array_agg(type ORDER BY sequence DESC))[1] AS last,
              count(*) FILTER (WHERE type = 'OrderPaid') AS paid,
              count(*) FILTER (WHERE type = 'OrderCancelled') AS cancelled,
              count(*) FILTER (WHERE type = 'OrderShipped') AS shipped,
              count(*) FILTER (WHERE type = 'OrderCancelled' AND data->>'reason' = 'PAYMENT_DECLINED') AS declined
         FROM order_events GROUP BY order_id`,
    );
    const payments = new Map(
      (
        await this.query<{ order_id: string; n: string }>(
          "payment",
          "SELECT order_id, count(*) AS n FROM payments GROUP BY order_id",
        )
      ).map((r) => [r.order_id, Number(r.n)]),
    );
    const shipments = new Map(
      (
        await this.query<{ order_id: string; n: string }>(
          "shipping",
          "SELECT order_id, count(*) AS n FROM shipments GROUP BY order_id",
        )
      ).map((r) => [r.order_id, Number(r.n)]),
    );
    const known = new Set(perOrder.map((o) => o.order_id));

    const lost =
      [...this.accepted].filter((id) => !known.has(id)).length +
      perOrder.filter((o) => o.last !== "OrderShipped" && o.last !== "OrderCancelled").length;
    let duplicated = 0;
    const i1: string[] = [];
    const i2: string[] = [];
    for (const o of perOrder) {
      const paid = Number(o.paid),
        cancelled = Number(o.cancelled),
        shipped = Number(o.shipped),
        declined = Number(o.declined);
      if (
        paid > 1 ||
        shipped > 1 ||
        cancelled > 1 ||
        (payments.get(o.order_id) ?? 0) > 1 ||
        (shipments.get(o.order_id) ?? 0) > 1
      )
        duplicated++;
      // I1: one payment outcome, recorded once by payment and once by the order
      if (payments.get(o.order_id) !== 1 || paid + declined !== 1) i1.push(o.order_id);
      // I2: a paid order that was not cancelled ships exactly once; a cancelled one never
      if (paid === 1 && cancelled === 0 ? shipments.get(o.order_id) !== 1 || shipped !== 1 : shipped !== 0)
        i2.push(o.order_id);
    }
    const unpublished = await this.unpublishedOutboxRows();
    const slots = await this.slots();
    const slotsMissing = (Object.keys(DATABASES) as (keyof typeof DATABASES)[]).filter(
      (db) => slots.get(db)?.walStatus === "lost" || !slots.has(db),
    );
    const deadLetters = await this.deadLettered();
    const dead = deadLetters.length;
    const i6 = await this.checkProvider(deadLetters);
    const i7 = await this.checkKeys();
    const i8 = await this.checkContracts();
    const lags: Record<string, number | undefined> = {};
    for (const s of SUBSCRIPTIONS) lags[s.group] = await this.lagOf(s.group);
    const failed: string[] = [];
    if (i1.length) failed.push(`I1 (${i1.length} orders without exactly one payment outcome, e.g. ${i1[0]})`);
    if (i2.length) failed.push(`I2 (${i2.length} orders without exactly one shipment, e.g. ${i2[0]})`);
    if (unpublished) failed.push(`I3 (${unpublished} outbox rows not confirmed by their slot and deleted)`);
    if (slotsMissing.length) failed.push(`I3 (replication slots missing or lost: ${slotsMissing.join(", ")})`);
    if (dead !== this.expectedDeadLetters())
      failed.push(`I4 (${dead} dead letters, ${this.expectedDeadLetters()} poison expected)`);
    const lagging = Object.entries(lags).filter(([, l]) => l !== 0);
    if (lagging.length) failed.push(`I5 (lag ${lagging.map(([g, l]) => `${g}=${l ?? "uncommitted"}`).join(", ")})`);
    if (i6.problems.length)
      failed.push(
        `I6 (${i6.problems.length} provider charges or refunds not exactly one per payment: ${i6.problems
          .slice(0, 3)
          .map((p) => p.what)
          .join("; ")})`,
      );
    if (i7.problems.length)
      failed.push(
        `I7 (${i7.problems.length} idempotency keys not exactly one order: ${i7.problems
          .slice(0, 3)
          .map((p) => p.what)
          .join("; ")})`,
      );
    if (i8.problems.length)
      failed.push(
        `I8 (${i8.problems.length} of ${i8.scanned} records fail their contract: ${i8.problems.slice(0, 3).join("; ")})`,
      );
    if (lost) failed.push(`terminal (${lost} orders lost or not terminal)`);
    const notTerminalIds = perOrder
      .filter((o) => o.last !== "OrderShipped" && o.last !== "OrderCancelled")
      .map((o) => o.order_id);
    const invariants: Verdict["invariants"] = {
      I1: i1.length === 0,
      I2: i2.length === 0,
      I3: unpublished === 0 && slotsMissing.length === 0,
      I4: dead === this.expectedDeadLetters(),
      I5: lagging.length === 0,
      I6: i6.problems.length === 0,
      I7: i7.problems.length === 0,
      I8: i8.problems.length === 0,
      terminal: lost === 0,
    };
    if (failed.length) {
      const orderIds = [...i6.problems, ...i7.problems].flatMap((p) => (p.orderId ? [p.orderId] : []));
      const stuck = [...new Set([...i1, ...i2, ...notTerminalIds, ...orderIds])].slice(0, 2);
      for (const id of stuck)
        failed.push(
          `where ${id} stands: ${await this.whereIs(id).catch((e: Error) => `(could not tell: ${e.message})`)}`,
        );
    }
    return {
      orders: perOrder.length,
      accepted: this.accepted.size,
      lost,
      duplicated,
      terminal: perOrder.length - notTerminalIds.length,
      deadLettered: dead,
      provider: i6.counts,
      keysChecked: i7.checked,
      recordsScanned: i8.scanned,
      invariants,
      failed,
      settleMs,
      checkMs: Date.now() - checking,
      ...(settleError ? { settleError } : {}),
    };
  }

  /** I6: what the provider holds against what payment recorded. Exactly one authorization
   *  (approved or declined; a refused request charged nothing) per order with a payment row, under
   *  that row's payment id and with its outcome; no order authorized twice; exactly one refund per
   *  REFUNDED payment and none for any other. An authorization with no payment row is allowed only
   *  for an order whose record payment dead-lettered (the provider answered, the record then ran out
   *  of attempts): I1 already requires a payment row for every order that did not. */
  private async checkProvider(
    deadLetters: DeadLetter[],
  ): Promise<{ problems: { what: string; orderId?: string }[]; counts: Verdict["provider"] }> {
    const { summary, requests } = await this.providerRequests();
    const payments = await this.query<{ id: string; order_id: string; status: string }>(
      "payment",
      "SELECT id::text, order_id::text, status::text FROM payments",
    );
    const authsOf = new Map<string, ProviderRequest[]>();
    const refundsOf = new Map<string, number>();
    for (const r of requests) {
      if (r.operation === "authorization" && r.status !== "refused")
        authsOf.set(r.orderId, [...(authsOf.get(r.orderId) ?? []), r]);
      if (r.operation === "refund" && r.status === "refunded")
        refundsOf.set(r.paymentId, (refundsOf.get(r.paymentId) ?? 0) + 1);
    }
    const problems: { what: string; orderId?: string }[] = [];
    const paid = new Set<string>();
    const paymentIds = new Set<string>();
    for (const p of payments) {
      paid.add(p.order_id);
      paymentIds.add(p.id);
      const auths = authsOf.get(p.order_id) ?? [];
      if (auths.length !== 1)
        problems.push({
          what: `order ${p.order_id} has a payment and ${auths.length} provider authorizations`,
          orderId: p.order_id,
        });
      else if (auths[0]!.paymentId !== p.id)
        problems.push({
          what: `order ${p.order_id} was authorized for payment ${auths[0]!.paymentId}, its payment row is ${p.id}`,
          orderId: p.order_id,
        });
      else if ((auths[0]!.status === "declined") !== (p.status === "DECLINED"))
        problems.push({
          what: `order ${p.order_id}: provider ${auths[0]!.status}, payment ${p.status}`,
          orderId: p.order_id,
        });
      const refunds = refundsOf.get(p.id) ?? 0;
      if (refunds !== (p.status === "REFUNDED" ? 1 : 0))
        problems.push({
          what: `payment ${p.id} (${p.status}) was refunded ${refunds} times by the provider`,
          orderId: p.order_id,
        });
    }
    const deadInPayment = new Set(deadLetters.filter((d) => d.group === "payment" && d.key).map((d) => d.key!));
    let withoutPayment = 0;
    let duplicates = 0;
    for (const [orderId, auths] of authsOf) {
      if (auths.length > 1) {
        duplicates += auths.length - 1;
        if (!paid.has(orderId))
          problems.push({
            what: `order ${orderId} has ${auths.length} provider authorizations (keys ${auths.map((a) => a.key).join(", ")})`,
            orderId,
          });
      }
      if (!paid.has(orderId)) {
        withoutPayment++;
        if (!deadInPayment.has(orderId))
          problems.push({
            what: `order ${orderId} was authorized by the provider and has no payment row (nor a dead-lettered record in group payment)`,
            orderId,
          });
      }
    }
    for (const [paymentId, n] of refundsOf)
      if (!paymentIds.has(paymentId))
        problems.push({ what: `payment ${paymentId} has no payment row and ${n} provider refunds` });
    const authorizations = [...authsOf.values()].reduce((n, a) => n + a.length, 0);
    const refunds = [...refundsOf.values()].reduce((n, c) => n + c, 0);
    return { problems, counts: { authorizations, duplicates, refunds, withoutPayment, replays: summary.replays } };
  }

  /** I7: every key the clients sent placed exactly one order (its OrderPlaced carries the key as
   *  its correlation id, which the client set: this does not read the key table), and every
   *  accepted answer for the key named that order; no order was placed under a key no client sent. */
  private async checkKeys(): Promise<{ problems: { what: string; orderId?: string }[]; checked: number }> {
    const placed = new Map(
      (
        await this.query<{ key: string; orders: string[] }>(
          "order",
          "SELECT correlation_id AS key, array_agg(order_id::text ORDER BY order_id) AS orders FROM order_events WHERE type = 'OrderPlaced' GROUP BY correlation_id",
        )
      ).map((r) => [r.key, r.orders]),
    );
    const problems: { what: string; orderId?: string }[] = [];
    for (const [key, answered] of this.keys) {
      const orders = placed.get(key) ?? [];
      // a key whose order was never accepted (a client that gave up) may have placed none
      if (orders.length > 1 || (answered.size > 0 && orders.length === 0))
        problems.push({
          what: `key ${key} placed ${orders.length} orders${orders.length ? ` (${orders.join(", ")})` : ""}`,
          ...(orders[0] ? { orderId: orders[0] } : {}),
        });
      else if (answered.size > 1 || (answered.size === 1 && !answered.has(orders[0]!)))
        problems.push({
          what: `key ${key} was answered with orders ${[...answered].join(", ")}, placed ${orders.join(", ")}`,
          ...(orders[0] ? { orderId: orders[0] } : {}),
        });
    }
    for (const [key, orders] of placed)
      if (!this.keys.has(key))
        problems.push({
          what: `orders ${orders.join(", ")} were placed under correlation id ${key}, which no client sent as a key`,
          ...(orders[0] ? { orderId: orders[0] } : {}),
        });
    return { problems, checked: this.keys.size };
  }

  /** I8: every record on the event topics holds to its contract: its JSON value validates against
   *  the generated JSON Schema of its type and version (packages/contracts/generated/json-schema,
   *  draft 2020-12). Left out: the poison records the suite injected on purpose (not JSON, under
   *  keys of their own: `poisonKeys`); the reliability-probe topic is not an event topic and is not
   *  read. A record whose type and version have no schema fails. */
  private async checkContracts(): Promise<{ problems: string[]; scanned: number }> {
    const { ajv, validators } = this.contractValidators();
    const problems: string[] = [];
    let scanned = 0;
    // the three topics read at once (each read is a consumer group of its own)
    const read = await Promise.all(
      EVENT_TOPICS.map(async (topic) => {
        // the end offsets before reading: a read that timed out short of them would check too little
        const admin = this.kafka.kafka.admin();
        await admin.connect();
        let ends: { partition: number; high: string }[];
        try {
          ends = await admin.fetchTopicOffsets(this.kafka.physical(topic));
        } finally {
          await admin.disconnect();
        }
        return { topic, ends, records: await readTopicToEnd(this.kafka, topic) };
      }),
    );
    for (const { topic, ends, records } of read) {
      for (const { partition, high } of ends) {
        const last = records
          .filter((r) => r.partition === partition)
          .reduce((m, r) => (BigInt(r.offset) > m ? BigInt(r.offset) : m), -1n);
        if (last + 1n < BigInt(high)) problems.push(`${topic}/${partition} read up to ${last}, its end was ${high}`);
      }
      for (const r of records) {
        if (r.key && this.poisonKeys.has(r.key)) continue;
        scanned++;
        const at = `${topic}/${r.partition}@${r.offset}`;
        let value: { type?: unknown; version?: unknown };
        try {
          value = JSON.parse(r.value?.toString("utf8") ?? "null") as typeof value;
        } catch {
          problems.push(`${at} is not JSON`);
          continue;
        }
        const id = `${String(value?.type)}.v${String(value?.version)}`;
        const validate = validators.get(id);
        if (!validate) problems.push(`${at}: no schema for ${id}`);
        else if (!validate(value)) problems.push(`${at} (${id}): ${ajv.errorsText(validate.errors)}`);
      }
    }
    return { problems, scanned };
  }

  /** one compiled validator per `<Type>.v<version>.json` */
  private contractValidators(): { ajv: Ajv2020; validators: Map<string, ValidateFunction> } {
    if (!this.contracts) {
      const ajv = new Ajv2020({ allErrors: true, strict: true });
      addFormats(ajv);
      const dir = path.join(repoRoot, "packages", "contracts", "generated", "json-schema");
      const validators = new Map(
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .map((f) => [
            f.replace(/\.json$/, ""),
            ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as object),
          ]),
      );
      this.contracts = { ajv, validators };
    }
    return this.contracts;
  }

  /** An order's trail through the flow: outbox rows, the records on the wire, what each group's
   *  inbox holds. A failed invariant says where the order got stuck (lost on the wire, or skipped). */
  private async whereIs(orderId: string): Promise<string> {
    const parts: string[] = [];
    for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[]) {
      // in wal mode a row still here is one its slot has not confirmed
      const rows = await this.query<{ id: string; event_type: string; event_id: string }>(
        db,
        "SELECT id::text, event_type, event_id::text FROM outbox WHERE key = $1 ORDER BY id",
        [orderId],
      );
      if (rows.length)
        parts.push(
          `${db} outbox, not confirmed [${rows.map((r) => `#${r.id} ${r.event_type} ${r.event_id}`).join(", ")}]`,
        );
    }
    const inboxes = new Map<string, string[]>();
    for (const db of Object.keys(DATABASES) as (keyof typeof DATABASES)[]) {
      for (const r of await this.query<{ consumer_group: string; event_id: string }>(
        db,
        "SELECT consumer_group, event_id::text FROM inbox",
      )) {
        inboxes.set(r.event_id, [...(inboxes.get(r.event_id) ?? []), r.consumer_group.replace(TOPIC_PREFIX, "")]);
      }
    }
    for (const topic of EVENT_TOPICS) {
      const records = (await readTopicToEnd(this.kafka, topic)).filter((r) => r.key === orderId);
      parts.push(
        `${topic} [${records.map((r) => `${r.headers["event-type"] ?? "?"}@${r.partition}/${r.offset} in inbox of ${(inboxes.get(r.headers["event-id"] ?? "") ?? []).join("+") || "none"}`).join(", ")}]`,
      );
    }
    const held = (await this.providerRequests().catch(() => undefined))?.requests.filter((r) => r.orderId === orderId);
    if (held)
      parts.push(
        `provider [${held.map((r) => `${r.operation} ${r.status} key ${r.key} payment ${r.paymentId} presented ${r.presentedCount}×`).join(", ")}]`,
      );
    const commits: string[] = [];
    for (const s of SUBSCRIPTIONS)
      for (const p of await consumerGroupLag(this.kafka, s.group))
        commits.push(`${s.group}:${p.topic}/${p.partition}@${p.committedOffset}`);
    return `${parts.join("; ")}; commits ${commits.join(" ")}`;
  }

  // ---- faults on the stack ----

  async brokerDown(node: number, kill = true): Promise<void> {
    await kafkaDown(this.stack, quiet, node, kill);
  }
  async brokerUp(node?: number): Promise<void> {
    await kafkaUp(this.stack, quiet, node);
  }
  /** SIGSTOP (or SIGCONT) a broker: it keeps its connections and answers nothing, as a broker in
   *  a long pause does, until the controller fences it */
  brokerFreeze(node: number, frozen: boolean): void {
    const pid = Number(fs.readFileSync(kafkaLayout(this.stack).nodes[node - 1]!.pidFile, "utf8"));
    process.kill(pid, frozen ? "SIGSTOP" : "SIGCONT");
  }
  /** a client that never asks the given broker for metadata (one frozen does not answer) */
  kafkaWithout(node: number): KafkaClient {
    return createKafkaClient({
      brokers: this.brokers.filter((_, i) => i !== node - 1),
      clientId: "reliability-probe",
      logger: pino({ level: "silent" }),
      topicPrefix: TOPIC_PREFIX,
    });
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
  /** what the provider holds (I6): charges made (approved + declined authorizations, one per key),
   *  authorizations beyond one per order (must be 0), refunds, authorizations of orders with no
   *  payment row (dead-lettered ones), and presentations of a key after its first */
  provider: { authorizations: number; duplicates: number; refunds: number; withoutPayment: number; replays: number };
  /** idempotency keys the clients used, each checked against the orders placed (I7) */
  keysChecked: number;
  /** records on the event topics validated against their JSON Schema (I8) */
  recordsScanned: number;
  /** each invariant, and whether every order is terminal */
  invariants: Record<Invariant | "terminal", boolean>;
  /** invariants that do not hold (empty: all of I1–I8 and every order terminal) */
  failed: string[];
  settleMs: number;
  /** how long the checks took once the flow had settled */
  checkMs: number;
  settleError?: string;
}
