// The consumer's per-key parking, kept in the service's own database so that every member of a
// consumer group, and the next one after a rebalance or restart, sees the same parked keys.
// Shape-compatible with @orderflow/kafka's KeyParking (this package does not import kafkajs).
import pg from "pg";
import type { SqlExecutor } from "./outbox.js";

export interface ParkedAtRow {
  topic: string;
  partition: number;
  offset: string;
  redriveId: string | null;
}

/** Every change to a group's parked keys is announced here (payload: the group), on commit. */
export const PARKED_KEYS_CHANNEL = "orderflow_parked_keys";

type Row = { key: string; topic: string; partition: number; offset: string; redrive_id: string | null };

export function sqlKeyParking(db: SqlExecutor, consumerGroup: string) {
  /** the group's parked keys among `keys`, or all of them */
  const parked = async (keys?: string[]): Promise<Map<string, ParkedAtRow>> => {
    const rows = await db.$queryRawUnsafe<Row[]>(`SELECT key, topic, partition, "offset", redrive_id FROM parked_keys WHERE consumer_group = $1${keys ? " AND key = ANY($2::text[])" : ""}`, consumerGroup, ...(keys ? [keys] : []));
    return new Map(rows.map((r) => [r.key, { topic: r.topic, partition: r.partition, offset: r.offset, redriveId: r.redrive_id }]));
  };
  return {
    blocked: (keys: string[]) => parked(keys),
    async block(key: string, at: ParkedAtRow): Promise<void> {
      // the announcement goes out when the row commits
      await db.$queryRawUnsafe(
        `WITH parked AS (
           INSERT INTO parked_keys (consumer_group, key, topic, partition, "offset", redrive_id) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (consumer_group, key) DO UPDATE SET topic = EXCLUDED.topic, partition = EXCLUDED.partition, "offset" = EXCLUDED."offset", redrive_id = EXCLUDED.redrive_id, parked_at = now()
           RETURNING 1)
         SELECT pg_notify('${PARKED_KEYS_CHANNEL}', $1) FROM parked`,
        consumerGroup, key, at.topic, at.partition, at.offset, at.redriveId,
      );
    },
    async release(key: string, redriveId: string): Promise<boolean> {
      // a head that failed again during this very redrive keeps its key parked
      const kept = await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM parked_keys WHERE consumer_group = $1 AND key = $2 AND redrive_id = $3`, consumerGroup, key, redriveId);
      if (kept.length > 0) return false;
      await db.$queryRawUnsafe(`WITH released AS (DELETE FROM parked_keys WHERE consumer_group = $1 AND key = $2 RETURNING 1) SELECT pg_notify('${PARKED_KEYS_CHANNEL}', $1) FROM released`, consumerGroup, key);
      return true;
    },
    /** every parked key of the group */
    all: () => parked(),
  };
}

/**
 * sqlKeyParking with the group's parked keys held in memory and kept current by LISTEN/NOTIFY, so
 * a batch's lookup costs no round trip (it was one per batch per group, a tenth of a hop's time
 * on a busy machine; docs/performance.md). Parked keys are few: a change anywhere in the group
 * reloads them all.
 *
 * What a member sees is as current as a lookup per batch made it: that lookup too could miss a
 * key another member parked a moment later. The member's own changes apply at once. While the
 * listening connection is down (or before it is up) lookups go to the database, as before.
 */
export function listeningKeyParking(
  db: SqlExecutor & { readonly pool: pg.Pool },
  consumerGroup: string,
  /** log: hears when the listener fails (once per outage) and when it is back */
  opts: { retryMs?: number; log?: { warn(o: object, msg: string): void; info(o: object, msg: string): void } } = {},
) {
  const store = sqlKeyParking(db, consumerGroup);
  let keys: Map<string, ParkedAtRow> | undefined; // undefined: not live
  let client: pg.Client | undefined;
  let closed = false;
  let starting: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  // reloads run one at a time; changes this member made while one ran are applied over its result
  let reloading: Promise<void> | undefined;
  let again = false;
  let changes: { key: string; at: ParkedAtRow | undefined }[] | undefined;
  let failing = false; // onError hears of a failure once, not of every retry

  const reload = (): Promise<void> => {
    if (reloading) {
      again = true;
      return reloading;
    }
    changes = [];
    reloading = store.all().then(
      (loaded) => {
        for (const c of changes ?? []) c.at ? loaded.set(c.key, c.at) : loaded.delete(c.key);
        if (!client) return;
        keys = loaded;
        if (failing) opts.log?.info({ consumerGroup }, "parked keys listener back: lookups from memory again");
        failing = false;
      },
      (err: unknown) => down(err),
    ).finally(() => {
      reloading = undefined;
      changes = undefined;
      if (again) {
        again = false;
        void reload();
      }
    });
    return reloading;
  };

  const local = (key: string, at: ParkedAtRow | undefined) => {
    changes?.push({ key, at });
    if (keys) at ? keys.set(key, at) : keys.delete(key);
  };

  function down(err: unknown): void {
    keys = undefined;
    const c = client;
    client = undefined;
    void c?.end().catch(() => {});
    if (closed) return;
    if (!failing) opts.log?.warn({ consumerGroup, err }, "parked keys listener down: looking keys up in the database until it reconnects");
    failing = true;
    clearTimeout(retry);
    retry = setTimeout(() => {
      retry = undefined;
      void start();
    }, opts.retryMs ?? 1000);
    retry.unref();
  }

  function start(): Promise<void> {
    if (closed) return Promise.resolve();
    starting ??= (async () => {
      const c = new pg.Client(db.pool.options);
      c.on("error", (err) => client === c && down(err));
      c.on("end", () => client === c && down(new Error("parked keys listener connection ended")));
      c.on("notification", (n) => {
        if (n.channel === PARKED_KEYS_CHANNEL && n.payload === consumerGroup) void reload();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${PARKED_KEYS_CHANNEL}`);
        if (closed) throw new Error("closed");
        client = c;
        await reload();
      } catch (err) {
        await c.end().catch(() => {});
        if (client === c) client = undefined;
        if (!closed) down(err);
      }
    })().finally(() => (starting = undefined));
    return starting;
  }

  return {
    async blocked(wanted: string[]): Promise<Map<string, ParkedAtRow>> {
      if (!keys) {
        if (!client && !starting && !retry) void start();
        return store.blocked(wanted);
      }
      const found = new Map<string, ParkedAtRow>();
      for (const k of wanted) {
        const at = keys.get(k);
        if (at) found.set(k, at);
      }
      return found;
    },
    async block(key: string, at: ParkedAtRow): Promise<void> {
      await store.block(key, at);
      local(key, at);
    },
    async release(key: string, redriveId: string): Promise<boolean> {
      const released = await store.release(key, redriveId);
      if (released) local(key, undefined);
      return released;
    },
    /** whether lookups are answered from memory (for tests) */
    isLive: () => keys !== undefined,
    async close(): Promise<void> {
      closed = true;
      clearTimeout(retry);
      retry = undefined;
      await starting;
      const c = client;
      client = undefined;
      keys = undefined;
      await c?.end().catch(() => {});
    },
  };
}
