// The records, requests and SQL access every scenario uses.
import { randomUUID } from "node:crypto";
import { createEvent, eventHeaders } from "@orderflow/contracts";
import { waitFor } from "@orderflow/infra/stack";
import { anOrder, AUTHORIZATION, DATABASES, dbUrl, RUN, type Service } from "@orderflow/system-tests/harness";
import pg from "pg";
import { jsonPost, withIdempotencyKey } from "./load.js";

export const RELAY_BATCH_SIZE = 500;
/** outbox rows per transaction in the relay's latency runs */
export const RELAY_ROWS_PER_TX = 10;
/** the payment provider's answer time in the slow-provider part (PROVIDER_LATENCY_MS) */
export const SLOW_PROVIDER_MS = 50;
/** the services' settings in every part: info logs, as in production, and no rate limit */
export const LOG = { LOG_LEVEL: "info", HTTP_RATE_LIMIT_PER_SECOND: "0" };

/** one query on a connection of its own */
export async function sql<T extends pg.QueryResultRow>(
  db: keyof typeof DATABASES,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: DATABASES[db] });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** RELAY_SLOT_PREFIX of a bench relay in wal mode: slot names are cluster-wide, so each carries
 *  this run's id and the relay's own name, and never meets the dev stack's orderflow_relay_* */
export const slotPrefix = (relay: string) => `bench_${RUN}_${relay}`;

/** Drops the replication slots named `prefix`* (without one: this run's, and any left on its
 *  databases), ending a reader still attached: a slot holds WAL while it exists, and PostgreSQL
 *  refuses to drop a database that has one. */
export async function dropSlots(prefix?: string): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl("postgres") });
  await c.connect();
  const databases = Object.values(DATABASES).map((u) => new URL(u).pathname.slice(1));
  try {
    await waitFor(
      `the replication slots ${prefix ?? slotPrefix("")}* to be dropped`,
      async () => {
        const { rows } = await c.query<{ slot_name: string; active_pid: number | null }>(
          `SELECT slot_name, active_pid FROM pg_replication_slots WHERE starts_with(slot_name, $1)${prefix ? "" : " OR database = ANY($2)"}`,
          prefix ? [prefix] : [slotPrefix(""), databases],
        );
        for (const r of rows)
          await (r.active_pid
            ? c.query("SELECT pg_terminate_backend($1)", [r.active_pid])
            : // gone meanwhile, or taken again: the next look says
              c.query("SELECT pg_drop_replication_slot($1)", [r.slot_name]).catch(() => {}));
        return rows.length === 0;
      },
      30_000,
    );
  } finally {
    await c.end();
  }
}

/** the order database's clock */
export const now = async () => (await sql<{ t: Date }>("order", "SELECT now() AS t"))[0]!.t;

/** SQL string literal contents */
export const q = (s: string) => s.replace(/'/g, "''");

/** A typical record: an OrderPlaced as the relay publishes it, headers included. */
export function sampleEvent() {
  const orderId = randomUUID();
  const o = anOrder();
  const e = createEvent(
    "OrderPlaced",
    {
      orderId,
      customerId: o.customerId,
      items: o.items,
      currency: o.currency,
      shippingAddress: o.shippingAddress,
      shippingSpeed: "STANDARD",
      totalAmount: 3000,
    },
    {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      source: "order",
    },
  );
  return { event: e, headers: eventHeaders(e) as Record<string, string> };
}

/** a client's POST /orders: a fresh Idempotency-Key on every request, as a real client sends */
export const post = (svc: Service) =>
  jsonPost(svc.url("/orders"), () => anOrder(), withIdempotencyKey({ authorization: AUTHORIZATION }));
