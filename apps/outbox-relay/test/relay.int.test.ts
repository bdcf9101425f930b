// The relay on the real broker and PostgreSQL: order, headers, NOTIFY, two replicas, out-of-order commits.
import { randomUUID } from "node:crypto";
import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import { appendOutbox, OUTBOX_NOTIFY_SQL, OUTBOX_TABLE_SQL, outboxRowFor, type SqlExecutor } from "@orderflow/db-kit";
import {
  createKafkaClient,
  createPublisher,
  deletePrefixedTopics,
  ensureTopics,
  readTopic,
  type Publisher,
  type RawRecord,
} from "@orderflow/kafka";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRelay, type Relay } from "../src/relay/relay.js";

const adminUrl = process.env.PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:54329/postgres";
const dbName = `relay_int_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const url = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
// a topic prefix of its own: live services on the same broker never see these records
const kafka = createKafkaClient({
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(","),
  clientId: "relay-int",
  logger: pino({ level: "silent" }),
  topicPrefix: `test-${dbName}.`,
});
const log = pino({ level: "silent" });
let pool: pg.Pool;
let publisher: Publisher;
const relays: Relay[] = [];

const poll = { timeout: 20_000, interval: 100 };

function startRelay(pollIntervalMs: number): Relay {
  const r = createRelay({
    databases: [{ name: "test", url }],
    publisher,
    log,
    batchSize: 3,
    pollIntervalMs,
    retentionMs: 3_600_000,
    cleanupIntervalMs: 3_600_000,
  });
  r.start();
  relays.push(r);
  return r;
}

function cancelledShipment(orderId: string, n: number): OrderflowEvent {
  return createEvent(
    "ShipmentCancelled",
    { orderId, shipmentId: randomUUID(), reason: `step ${n}` },
    {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: `corr-${orderId}`,
      causationId: null,
      source: "test",
    },
  );
}

async function insert(events: OrderflowEvent[], client?: pg.PoolClient): Promise<void> {
  const c = client ?? pool;
  const exec: SqlExecutor = {
    $executeRawUnsafe: async (q, ...v) => (await c.query(q, v)).rowCount ?? 0,
    $queryRawUnsafe: async <T>(q: string, ...v: unknown[]) => (await c.query(q, v)).rows as T,
  };
  await appendOutbox(
    exec,
    events.map((e) => outboxRowFor(e)),
  );
}

async function recordsFor(orderIds: string[], expected: number): Promise<RawRecord[]> {
  const keys = new Set(orderIds);
  const all = await readTopic(kafka, "shipping-events", {
    until: (rs) => rs.filter((r) => keys.has(r.key ?? "")).length >= expected,
    timeoutMs: 20_000,
  });
  return all.filter((r) => keys.has(r.key ?? ""));
}

const reasons = (rs: RawRecord[], orderId: string) =>
  rs.filter((r) => r.key === orderId).map((r) => JSON.parse(r.value!.toString()).data.reason);
const unpublished = async () =>
  Number((await pool.query("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")).rows[0].n);

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  pool = new pg.Pool({ connectionString: url });
  await pool.query(OUTBOX_TABLE_SQL + OUTBOX_NOTIFY_SQL);
  await ensureTopics(kafka);
  publisher = createPublisher(kafka);
  await publisher.connect();
});

afterAll(async () => {
  for (const r of relays) await r.stop();
  await publisher?.disconnect();
  await deletePrefixedTopics(kafka);
  await pool?.end();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
});

describe("outbox relay", () => {
  it("publishes pending rows in order per key with their headers, and marks them", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const events = [1, 2, 3, 4].flatMap((n) => [cancelledShipment(a, n), cancelledShipment(b, n)]);
    await insert(events);
    startRelay(200);
    const rs = await recordsFor([a, b], 8);
    expect(reasons(rs, a)).toEqual(["step 1", "step 2", "step 3", "step 4"]);
    expect(reasons(rs, b)).toEqual(["step 1", "step 2", "step 3", "step 4"]);
    expect(rs[0]!.headers).toMatchObject({
      "event-type": "ShipmentCancelled",
      "correlation-id": expect.stringMatching(/^corr-/),
      "event-id": expect.any(String),
    });
    await vi.waitFor(async () => expect(await unpublished(), "rows marked published").toBe(0), poll);
  });

  it("wakes on NOTIFY, not on its (long) poll interval, and two replicas publish each row once", async () => {
    for (const r of relays.splice(0)) await r.stop();
    const [first, second] = [startRelay(60_000), startRelay(60_000)];
    await vi.waitFor(
      async () =>
        expect((await first.status())[0]!.leader || (await second.status())[0]!.leader, "a leader").toBe(true),
      poll,
    );
    const id = randomUUID();
    const started = Date.now();
    await insert([1, 2, 3, 4, 5].map((n) => cancelledShipment(id, n)));
    await recordsFor([id], 5);
    expect(Date.now() - started).toBeLessThan(15_000);
    await vi.waitFor(async () => expect(await unpublished(), "rows marked published").toBe(0), poll);
    // a marker behind them on the same partition: everything published before it is in front of it
    await insert([cancelledShipment(id, 99)]);
    const keys = new Set<string>([id]);
    const all = await readTopic(kafka, "shipping-events", {
      until: (rs) => rs.some((r) => r.key === id && r.value?.toString().includes("step 99")),
      timeoutMs: 20_000,
    });
    expect(
      reasons(
        all.filter((r) => keys.has(r.key ?? "")),
        id,
      ),
    ).toEqual(["step 1", "step 2", "step 3", "step 4", "step 5", "step 99"]);
    const leaders = [(await first.status())[0]!.leader, (await second.status())[0]!.leader];
    expect(leaders.filter(Boolean)).toHaveLength(1);
  });

  it("publishes rows committed out of id order", async () => {
    const [x, y] = [randomUUID(), randomUUID()];
    const early = await pool.connect();
    const late = await pool.connect();
    try {
      await early.query("BEGIN");
      await insert([cancelledShipment(x, 1)], early); // takes the lower id, commits last
      await late.query("BEGIN");
      await insert([cancelledShipment(y, 1)], late);
      await late.query("COMMIT");
      await recordsFor([y], 1);
      await early.query("COMMIT");
    } finally {
      early.release();
      late.release();
    }
    const rs = await recordsFor([x, y], 2);
    expect(rs.map((r) => r.key).sort()).toEqual([x, y].sort());
    await vi.waitFor(async () => expect(await unpublished(), "all rows marked").toBe(0), poll);
  });

  it("goes on publishing while a batch's mark is stuck, without sending that batch again", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await insert([1, 2].map((n) => cancelledShipment(a, n)));
    const ids = (await pool.query<{ id: string }>("SELECT id FROM outbox WHERE key = $1", [a])).rows.map((r) => r.id);
    // a transaction holding a's rows: the relay reads them (a plain SELECT does not wait), sends
    // them, and its UPDATE marking them waits for this lock
    const holder = await pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM outbox WHERE id = ANY($1::bigint[]) FOR UPDATE", [ids]);
      expect(reasons(await recordsFor([a], 2), a)).toEqual(["step 1", "step 2"]);
      await vi.waitFor(
        async () =>
          expect(
            Number(
              (
                await pool.query(
                  "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE outbox SET published_at%'",
                )
              ).rows[0].n,
            ),
            "the mark to wait for the lock",
          ).toBeGreaterThan(0),
        poll,
      );
      // rows committed meanwhile go out at once, and a's rows are not read and sent again
      await insert([1, 2].map((n) => cancelledShipment(b, n)));
      expect(reasons(await recordsFor([b], 2), b)).toEqual(["step 1", "step 2"]);
      expect(await unpublished()).toBe(4); // a's mark still waits
      await holder.query("COMMIT");
    } finally {
      holder.release();
    }
    await vi.waitFor(async () => expect(await unpublished(), "all rows marked").toBe(0), poll);
    // markers behind them on the same partitions: every copy sent before them is read
    await insert([cancelledShipment(a, 99), cancelledShipment(b, 99)]);
    const rs = await readTopic(kafka, "shipping-events", {
      until: (all) => [a, b].every((k) => all.some((r) => r.key === k && r.value?.toString().includes("step 99"))),
      timeoutMs: 20_000,
    });
    expect(reasons(rs, a)).toEqual(["step 1", "step 2", "step 99"]);
    expect(reasons(rs, b)).toEqual(["step 1", "step 2", "step 99"]);
  });
});
