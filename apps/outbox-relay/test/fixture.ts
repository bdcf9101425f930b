// A database and a topic prefix of their own for a relay integration test file: the outbox with
// its NOTIFY trigger and publication, rows to insert, records to read back, slots dropped after.
import { randomUUID } from "node:crypto";
import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import {
  appendOutbox,
  dropDatabaseAndSlots,
  OUTBOX_NOTIFY_SQL,
  OUTBOX_PUBLICATION_SQL,
  OUTBOX_TABLE_SQL,
  outboxRowFor,
  type SqlExecutor,
} from "@orderflow/db-kit";
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

const stackAdminUrl = process.env.PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:54329/postgres";

export const poll = { timeout: 20_000, interval: 100 };

/** `adminUrl`: the server to make the database on (the local stack's by default) */
export function relayFixture(name: string, adminUrl = stackAdminUrl) {
  const dbName = `${name}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
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
  const state = {} as { pool: pg.Pool; publisher: Publisher };

  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  return {
    dbName,
    url,
    kafka,
    /** slot names start with this: unique to the file, as slot names are cluster-wide */
    slotPrefix: dbName,
    get pool() {
      return state.pool;
    },
    get publisher() {
      return state.publisher;
    },
    async setUp() {
      await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
      state.pool = new pg.Pool({ connectionString: url });
      await state.pool.query(OUTBOX_TABLE_SQL + OUTBOX_NOTIFY_SQL + OUTBOX_PUBLICATION_SQL);
      await ensureTopics(kafka);
      state.publisher = createPublisher(kafka);
      await state.publisher.connect();
    },
    async tearDown() {
      await state.publisher?.disconnect();
      await deletePrefixedTopics(kafka);
      await state.pool?.end();
      await admin(async (c) => {
        await dropDatabaseAndSlots(c, dbName);
      });
    },
    async insert(events: OrderflowEvent[], client?: pg.PoolClient): Promise<void> {
      const c = client ?? state.pool;
      const exec: SqlExecutor = {
        $executeRawUnsafe: async (q, ...v) => (await c.query(q, v)).rowCount ?? 0,
        $queryRawUnsafe: async <T>(q: string, ...v: unknown[]) => (await c.query(q, v)).rows as T,
      };
      await appendOutbox(
        exec,
        events.map((e) => outboxRowFor(e)),
      );
    },
    /** the records of `orderIds` once there are `expected` of them */
    async recordsFor(orderIds: string[], expected: number): Promise<RawRecord[]> {
      const keys = new Set(orderIds);
      const all = await readTopic(kafka, "shipping-events", {
        until: (rs) => rs.filter((r) => keys.has(r.key ?? "")).length >= expected,
        timeoutMs: 20_000,
      });
      return all.filter((r) => keys.has(r.key ?? ""));
    },
    /** rows neither marked published (poll) nor deleted behind the slot (wal) */
    async unpublished(): Promise<number> {
      return Number((await state.pool.query("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")).rows[0].n);
    },
    admin,
  };
}

export function cancelledShipment(orderId: string, n: number): OrderflowEvent {
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

export const reasons = (rs: RawRecord[], orderId: string): string[] =>
  rs.filter((r) => r.key === orderId).map((r) => JSON.parse(r.value!.toString()).data.reason);
