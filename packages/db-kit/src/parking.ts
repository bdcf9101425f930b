// The consumer's per-key parking, kept in the service's own database so that every member of a
// consumer group, and the next one after a rebalance or restart, sees the same parked keys.
// Shape-compatible with @orderflow/kafka's KeyParking (this package does not import kafkajs).
import pg from "pg";
import type { SqlExecutor } from "./outbox.js";
import { empty, query, sql } from "./statement.js";

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
    const rows = await query<Row>(
      db,
      sql`SELECT key, topic, partition, "offset", redrive_id FROM parked_keys WHERE consumer_group = ${consumerGroup}${keys ? sql` AND key = ANY(${keys}::text[])` : empty}`,
    );
    return new Map(
      rows.map((r) => [r.key, { topic: r.topic, partition: r.partition, offset: r.offset, redriveId: r.redrive_id }]),
    );
  };
  return {
    blocked: (keys: string[]) => parked(keys),
    async block(key: string, at: ParkedAtRow): Promise<void> {
      // the announcement goes out when the row commits (hand-numbered: the group, $1, is also the
      // payload)
      await db.$queryRawUnsafe(
        `WITH parked AS (
           INSERT INTO parked_keys (consumer_group, key, topic, partition, "offset", redrive_id) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (consumer_group, key) DO UPDATE SET topic = EXCLUDED.topic, partition = EXCLUDED.partition, "offset" = EXCLUDED."offset", redrive_id = EXCLUDED.redrive_id, parked_at = now()
           RETURNING 1)
         SELECT pg_notify('${PARKED_KEYS_CHANNEL}', $1) FROM parked`,
        consumerGroup,
        key,
        at.topic,
        at.partition,
        at.offset,
        at.redriveId,
      );
    },
    async release(key: string, redriveId: string): Promise<boolean> {
      // a head that failed again during this very redrive keeps its key parked
      const kept = await query(
        db,
        sql`SELECT 1 FROM parked_keys WHERE consumer_group = ${consumerGroup} AND key = ${key} AND redrive_id = ${redriveId}`,
      );
      if (kept.length > 0) return false;
      // hand-numbered: the group, $1, is also the payload
      await db.$queryRawUnsafe(
        `WITH released AS (DELETE FROM parked_keys WHERE consumer_group = $1 AND key = $2 RETURNING 1) SELECT pg_notify('${PARKED_KEYS_CHANNEL}', $1) FROM released`,
        consumerGroup,
        key,
      );
      return true;
    },
    /** every parked key of the group */
    all: () => parked(),
  };
}

/** What a consumer sees of the parking: its state lives in the class below. */
export interface ListeningParking {
  blocked(wanted: string[]): Promise<Map<string, ParkedAtRow>>;
  block(key: string, at: ParkedAtRow): Promise<void>;
  release(key: string, redriveId: string): Promise<boolean>;
  isLive(): boolean;
  close(): Promise<void>;
}

interface ListeningOptions {
  retryMs?: number;
  /** hears when the listener fails (once per outage) and when it is back */
  log?: { warn(o: object, msg: string): void; info(o: object, msg: string): void };
}

/**
 * sqlKeyParking with the group's parked keys held in memory and kept current by LISTEN/NOTIFY, so
 * a batch's lookup costs no round trip (one per batch per group costs a tenth of a hop's time on
 * a busy machine; docs/performance.md). Parked keys are few: a change anywhere in the group
 * reloads them all.
 *
 * What a member sees is as current as a lookup per batch made it: that lookup too could miss a
 * key another member parked a moment later. The member's own changes apply at once. While the
 * listening connection is down (or before it is up) lookups go to the database.
 */
export function listeningKeyParking(
  db: SqlExecutor & { readonly pool: pg.Pool },
  consumerGroup: string,
  opts: ListeningOptions = {},
): ListeningParking {
  return new ListeningKeyParking(db, consumerGroup, opts);
}

class ListeningKeyParking implements ListeningParking {
  private readonly store: ReturnType<typeof sqlKeyParking>;
  private keys: Map<string, ParkedAtRow> | undefined; // undefined: not live
  private client: pg.Client | undefined;
  private closed = false;
  private starting: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  // reloads run one at a time; changes this member made while one ran are applied over its result
  private reloading: Promise<void> | undefined;
  private again = false;
  private changes: { key: string; at: ParkedAtRow | undefined }[] | undefined;
  private failing = false; // the log hears of a failure once, not of every retry

  constructor(
    private readonly db: SqlExecutor & { readonly pool: pg.Pool },
    private readonly consumerGroup: string,
    private readonly opts: ListeningOptions,
  ) {
    this.store = sqlKeyParking(db, consumerGroup);
  }

  async blocked(wanted: string[]): Promise<Map<string, ParkedAtRow>> {
    const keys = this.keys;
    if (!keys) {
      if (!this.client && !this.starting && !this.retry) void this.start();
      return this.store.blocked(wanted);
    }
    const found = new Map<string, ParkedAtRow>();
    for (const k of wanted) {
      const at = keys.get(k);
      if (at) found.set(k, at);
    }
    return found;
  }

  async block(key: string, at: ParkedAtRow): Promise<void> {
    await this.store.block(key, at);
    this.local(key, at);
  }

  async release(key: string, redriveId: string): Promise<boolean> {
    const released = await this.store.release(key, redriveId);
    if (released) this.local(key, undefined);
    return released;
  }

  /** whether lookups are answered from memory (for tests) */
  isLive(): boolean {
    return this.keys !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.starting;
    const c = this.client;
    this.client = undefined;
    this.keys = undefined;
    await c?.end().catch(() => {});
  }

  /** this member's own change, applied at once (and over a reload under way) */
  private local(key: string, at: ParkedAtRow | undefined): void {
    this.changes?.push({ key, at });
    if (this.keys) at ? this.keys.set(key, at) : this.keys.delete(key);
  }

  private reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.changes = [];
    this.reloading = this.store
      .all()
      .then(
        (loaded) => this.loaded(loaded),
        (err: unknown) => this.down(err),
      )
      .finally(() => {
        this.reloading = undefined;
        this.changes = undefined;
        if (this.again) {
          this.again = false;
          void this.reload();
        }
      });
    return this.reloading;
  }

  /** a reload's answer, with the changes made while it ran; it goes live only while listening */
  private loaded(loaded: Map<string, ParkedAtRow>): void {
    for (const c of this.changes ?? []) c.at ? loaded.set(c.key, c.at) : loaded.delete(c.key);
    if (!this.client) return;
    this.keys = loaded;
    if (this.failing)
      this.opts.log?.info(
        { consumerGroup: this.consumerGroup },
        "parked keys listener back: lookups from memory again",
      );
    this.failing = false;
  }

  /** the listener failed: lookups go to the database, and a new listener is tried after retryMs */
  private down(err: unknown): void {
    this.keys = undefined;
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => {});
    if (this.closed) return;
    if (!this.failing)
      this.opts.log?.warn(
        { consumerGroup: this.consumerGroup, err },
        "parked keys listener down: looking keys up in the database until it reconnects",
      );
    this.failing = true;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.start();
    }, this.opts.retryMs ?? 1000);
    this.retry.unref();
  }

  private start(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.starting ??= this.listen().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** a connection of its own that LISTENs for the group's changes, then the first reload */
  private async listen(): Promise<void> {
    const c = new pg.Client(this.db.pool.options);
    c.on("error", (err) => this.client === c && this.down(err));
    c.on("end", () => this.client === c && this.down(new Error("parked keys listener connection ended")));
    c.on("notification", (n) => {
      if (n.channel === PARKED_KEYS_CHANNEL && n.payload === this.consumerGroup) void this.reload();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${PARKED_KEYS_CHANNEL}`);
      if (this.closed) throw new Error("closed");
      this.client = c;
      await this.reload();
    } catch (err) {
      await c.end().catch(() => {});
      if (this.client === c) this.client = undefined;
      if (!this.closed) this.down(err);
    }
  }
}
