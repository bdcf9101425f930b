// Outbox and inbox writes on a real database, inside one transaction as services use them.
import { createEvent } from "@orderflow/contracts";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  appendOutbox,
  migrateDeploy,
  outboxRowFor,
  recordInbox,
  recordInboxRunAndRead,
  sql,
  type SqlExecutor,
} from "../src/index.js";
import { databaseUrl, dropDatabase, fixtureDir, uniqueName } from "./support.js";

const name = uniqueName("dbkit_outbox");
let client: pg.Client;
const exec: SqlExecutor = {
  $executeRawUnsafe: async (q, ...v) => (await client.query(q, v)).rowCount ?? 0,
  $queryRawUnsafe: async <T>(q: string, ...v: unknown[]) => (await client.query(q, v)).rows as T,
};

beforeAll(async () => {
  await migrateDeploy({ url: databaseUrl(name), migrationsDir: path.join(fixtureDir, "migrations") });
  client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await dropDatabase(name);
});

const meta = (id: string) => ({
  id,
  occurredAt: "2026-01-01T00:00:00.000Z",
  correlationId: "corr",
  causationId: "cause",
  source: "test",
});
const orderId = "0193a5b0-0000-7000-8000-000000000001";
const poll = { timeout: 5000, interval: 20 };

describe("outbox and inbox", () => {
  it("writes outbox rows with topic, key and standard headers, and notifies the relay", async () => {
    const a = createEvent(
      "OrderCancelled",
      { orderId, reason: "CUSTOMER_REQUESTED" },
      meta("0193a5b0-0000-7000-8000-0000000000a1"),
    );
    const b = createEvent(
      "PaymentRefunded",
      { orderId, paymentId: orderId, amount: 1, currency: "EUR" },
      meta("0193a5b0-0000-7000-8000-0000000000a2"),
    );
    const listener = new pg.Client({ connectionString: databaseUrl(name) });
    await listener.connect();
    await listener.query("LISTEN orderflow_outbox");
    const notified = new Promise((r) => listener.once("notification", r));
    await client.query("BEGIN");
    await appendOutbox(exec, [outboxRowFor(a), outboxRowFor(b, { traceparent: "00-t-s-01" })]);
    await client.query("COMMIT");
    await notified;
    await listener.end();
    const rows = (
      await client.query("SELECT topic, key, event_type, payload, headers, published_at FROM outbox ORDER BY id")
    ).rows;
    expect(rows.map((r) => [r.topic, r.key, r.event_type, r.published_at])).toEqual([
      ["order-events", orderId, "OrderCancelled", null],
      ["payment-events", orderId, "PaymentRefunded", null],
    ]);
    expect(rows[0].payload).toEqual(a);
    expect(rows[1].headers).toMatchObject({
      "event-id": b.id,
      "correlation-id": "corr",
      "causation-id": "cause",
      traceparent: "00-t-s-01",
    });
  });

  it("records an event once per consumer group", async () => {
    const id = "0193a5b0-0000-7000-8000-0000000000b1";
    expect(await recordInbox(exec, "payment", id)).toBe(true);
    expect(await recordInbox(exec, "payment", id)).toBe(false);
    expect(await recordInbox(exec, "shipping", id)).toBe(true);
  });

  it("records a run and reads the state it touches in one statement: the new events in order, the read's rows as JSON", async () => {
    const ids = [
      "0193a5b0-0000-7000-8000-0000000000c1",
      "0193a5b0-0000-7000-8000-0000000000c2",
      "0193a5b0-0000-7000-8000-0000000000c3",
    ];
    expect(await recordInbox(exec, "grp", ids[1]!)).toBe(true); // processed before: a redelivery
    const duplicates: string[] = [];
    const run = [ids[0]!, ids[1]!, ids[2]!, ids[0]!].map((id) => ({ event: { id } }));
    const { fresh, rows } = await recordInboxRunAndRead<
      { event: { id: string } },
      { event_id: string; processed_at: string }
    >(
      exec,
      "grp",
      run,
      (m) => duplicates.push(m.event.id),
      sql`SELECT event_id::text, processed_at FROM inbox WHERE consumer_group = ${"grp"} ORDER BY event_id`,
    );
    expect(fresh.map((m) => m.event.id)).toEqual([ids[0], ids[2]]);
    expect(duplicates).toEqual([ids[1], ids[0]]);
    // as of the statement's start: the earlier row, not the ones it inserts; timestamps as strings
    expect(rows.map((r) => r.event_id)).toEqual([ids[1]]);
    expect(typeof rows[0]!.processed_at).toBe("string");
    const none = await recordInboxRunAndRead(exec, "grp", run.slice(0, 1), () => {}, sql`SELECT 1 AS x WHERE false`);
    expect(none).toEqual({ fresh: [], rows: [] });
  });
});

describe("sqlKeyParking", () => {
  it("parks keys per group, finds them in one lookup, and releases them unless their redrive failed again", async () => {
    const { sqlKeyParking } = await import("../src/index.js");
    const a = sqlKeyParking(exec, "group-a");
    const b = sqlKeyParking(exec, "group-b");
    await a.block("k1", { topic: "order-events", partition: 2, offset: "41", redriveId: null });
    await a.block("k2", { topic: "order-events", partition: 3, offset: "7", redriveId: "r-1" });
    expect(await a.blocked(["k1", "k2", "k3"])).toEqual(
      new Map([
        ["k1", { topic: "order-events", partition: 2, offset: "41", redriveId: null }],
        ["k2", { topic: "order-events", partition: 3, offset: "7", redriveId: "r-1" }],
      ]),
    );
    expect((await b.blocked(["k1"])).size).toBe(0);
    expect(await a.release("k2", "r-1")).toBe(false); // failed again during redrive r-1
    expect(await a.release("k2", "r-2")).toBe(true);
    expect(await a.release("k1", "r-2")).toBe(true);
    expect((await a.blocked(["k1", "k2"])).size).toBe(0);
  });
});

describe("the outbox relay's statements", () => {
  it("lets one session lead, reads pending rows in id order past an id and leaving some out, marks, counts and deletes them", async () => {
    const { deletePublishedOutbox, markOutboxPublished, outboxBacklog, pendingOutboxRows, tryLeadOutbox } =
      await import("../src/index.js");
    const other = new pg.Client({ connectionString: databaseUrl(name) });
    await other.connect();
    try {
      expect(await tryLeadOutbox(client)).toBe(true);
      expect(await tryLeadOutbox(other)).toBe(false);
      const ids = [
        "0193a5b0-0000-7000-8000-0000000000d1",
        "0193a5b0-0000-7000-8000-0000000000d2",
        "0193a5b0-0000-7000-8000-0000000000d3",
      ];
      await appendOutbox(
        exec,
        ids.map((id) =>
          outboxRowFor(createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta(id))),
        ),
      );
      const all = await pendingOutboxRows(client, "0", 100, []);
      const mine = all.filter((r) => ids.includes(r.headers["event-id"]!));
      expect(mine.map((r) => JSON.parse(r.payload).id)).toEqual(ids);
      expect(all.map((r) => BigInt(r.id))).toEqual([...all.map((r) => BigInt(r.id))].sort((a, b) => (a < b ? -1 : 1)));
      const [first, second, third] = mine.map((r) => r.id) as [string, string, string];
      expect((await pendingOutboxRows(client, first, 100, [second])).map((r) => r.id)).toEqual([third]);
      expect((await pendingOutboxRows(client, "0", 1, [])).length).toBe(1);
      const before = await outboxBacklog(client);
      await markOutboxPublished(client, [first, second, third], new Date(Date.now() - 60_000));
      expect((await outboxBacklog(client)).backlog).toBe(before.backlog - 3);
      expect(await deletePublishedOutbox(client, 3_600_000)).toBe(0); // not past retention yet
      expect(await deletePublishedOutbox(client, 1_000)).toBe(3);
    } finally {
      await other.end();
    }
  });
});

describe("listeningKeyParking", () => {
  it("answers lookups from memory kept current by NOTIFY, and from the database while its listener is down", async () => {
    const { listeningKeyParking, PARKED_KEYS_CHANNEL, sqlDatabase } = await import("../src/index.js");
    const pool = new pg.Pool({ connectionString: databaseUrl(name), max: 4 });
    const db = { ...sqlDatabase(pool), pool };
    const a = listeningKeyParking(db, "g-listen", { retryMs: 1500 });
    const b = listeningKeyParking(db, "g-listen");
    const other = listeningKeyParking(db, "g-other");
    const at = (offset: string) => ({ topic: "order-events", partition: 1, offset, redriveId: null });
    try {
      for (const m of [a, b, other]) expect((await m.blocked(["k"])).size).toBe(0); // from the database; starts listening
      await vi.waitFor(() => expect([a.isLive(), b.isLive(), other.isLive()]).toEqual([true, true, true]), poll);
      await b.block("k", at("5"));
      expect(await b.blocked(["k"])).toEqual(new Map([["k", at("5")]])); // its own change at once
      await vi.waitFor(async () => expect((await a.blocked(["k", "x"])).get("k")?.offset).toBe("5"), poll); // another member's on NOTIFY
      expect((await other.blocked(["k"])).size).toBe(0);
      expect(await a.release("k", "r-1")).toBe(true);
      await vi.waitFor(async () => expect((await b.blocked(["k"])).size).toBe(0), poll);

      // the listener's connection dies: until it is back, a change by another member must still be seen
      await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN ${PARKED_KEYS_CHANNEL}'`,
        [name],
      );
      await vi.waitFor(() => expect(a.isLive()).toBe(false), poll);
      await b.block("k2", at("9"));
      expect((await a.blocked(["k2"])).get("k2")).toEqual(at("9"));
      await vi.waitFor(() => expect(a.isLive()).toBe(true), { ...poll, timeout: 10_000 });
      expect((await a.blocked(["k2"])).get("k2")).toEqual(at("9"));
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
      await pool.end();
    }
  });
});
