// Publishes one service database's outbox. Only the holder of the database's advisory lock
// publishes, so relay replicas never race on rows and per-aggregate order holds; a standby
// takes over when the leader's session ends.
import {
  deletePublishedOutbox,
  listenForOutbox,
  markOutboxPublished,
  outboxBacklog,
  pendingOutboxRows,
  ping,
  tryLeadOutbox,
  type PendingOutboxRow,
} from "@orderflow/db-kit";
import type { OutgoingRecord, Publisher } from "@orderflow/kafka";
import type { OutboxStatus } from "@orderflow/http-api/relay";
import pg from "pg";
import type { Logger } from "pino";
import { FailureLog, WakeableDelay } from "./loop.js";
import { PublishedLog, publishRows } from "./publish.js";

export interface WorkerOptions {
  name: string;
  url: string;
  batchSize: number;
  pollIntervalMs: number;
  retentionMs: number;
  cleanupIntervalMs: number;
  /** called after a batch was acknowledged by Kafka and before it is marked (fault injection) */
  afterPublish?: () => void;
  onBatch?: (database: string, records: OutgoingRecord[]) => void;
}

export type WorkerStatus = OutboxStatus;

const RATE_WINDOW_MS = 60_000;

/** Rows published over a sliding minute. */
export class PublishRate {
  private readonly batches: { at: number; rows: number }[] = [];
  private readonly since: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  add(rows: number): void {
    this.batches.push({ at: this.now(), rows });
    this.trim();
  }

  perSecond(): number {
    this.trim();
    const window = Math.min(RATE_WINDOW_MS, Math.max(1000, this.now() - this.since));
    return Math.round((this.batches.reduce((n, b) => n + b.rows, 0) / (window / 1000)) * 10) / 10;
  }

  private trim(): void {
    const from = this.now() - RATE_WINDOW_MS;
    while (this.batches.length && this.batches[0]!.at < from) this.batches.shift();
  }
}

/** batches per drain before it starts over from the lowest unpublished id */
const DRAIN_BATCHES = 20;
/** sent rows whose mark is still running that a drain's first select leaves out; with more, it
 *  waits for the marks (a backlog: two batches' marks in flight) */
const MAX_EXCLUDED = 200;

export class OutboxWorker {
  private leaderClient: pg.Client | undefined;
  private readonly pool: pg.Pool;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly delay = new WakeableDelay();
  /** a NOTIFY arrived while not idle: drain again at once */
  private kicked = false;
  private lastCleanup = 0;
  private readonly failures: FailureLog;
  /** ids sent and acknowledged whose mark has not committed yet */
  private readonly unmarked = new Set<string>();
  private marking: Promise<void> = Promise.resolve();
  private markFailed: { error: unknown } | undefined;
  private readonly rate = new PublishRate();
  private readonly published: PublishedLog;
  readonly log: Logger;

  constructor(
    private readonly opts: WorkerOptions,
    private readonly publisher: Publisher,
    log: Logger,
  ) {
    this.log = log.child({ database: opts.name });
    this.failures = new FailureLog(this.log);
    this.published = new PublishedLog(this.log);
    // marks, status and readiness queries, beside the leader's session
    this.pool = new pg.Pool({ connectionString: opts.url, max: 2, connectionTimeoutMillis: 2000 });
    this.pool.on("error", () => {}); // idle-client errors surface on the next query
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
    await this.releaseLeadership();
    await this.pool.end();
  }

  isLeader(): boolean {
    return this.leaderClient !== undefined;
  }

  async status(): Promise<WorkerStatus> {
    try {
      const { backlog, oldestPendingSeconds } = await outboxBacklog(this.pool);
      return {
        database: this.opts.name,
        mode: "poll",
        leader: this.isLeader(),
        reachable: true,
        backlog,
        oldestPendingSeconds,
        publishedPerSecond: this.rate.perSecond(),
      };
    } catch {
      return {
        database: this.opts.name,
        mode: "poll",
        leader: this.isLeader(),
        reachable: false,
        backlog: 0,
        oldestPendingSeconds: 0,
        publishedPerSecond: this.rate.perSecond(),
      };
    }
  }

  async ping(): Promise<void> {
    await ping(this.pool);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.leaderClient) await this.tryLead();
        if (this.leaderClient) {
          await this.drain();
          await this.cleanupIfDue();
        }
        this.recovered();
      } catch (err) {
        this.failed(err);
        await this.releaseLeadership();
      }
      await this.idle();
    }
  }

  private async tryLead(): Promise<void> {
    const c = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 5000 });
    c.on("error", () => {}); // a dropped session shows up as a failing query in the loop
    await c.connect();
    try {
      if (!(await tryLeadOutbox(c))) {
        await c.end();
        return;
      }
      c.on("notification", () => this.kick());
      await listenForOutbox(c);
      this.leaderClient = c;
      this.log.info("leading: publishing this database's outbox");
    } catch (e) {
      await c.end().catch(() => {});
      throw e;
    }
  }

  private async releaseLeadership(): Promise<void> {
    // the marks of what this leader sent land first (or fail: those rows go out again)
    await this.marking;
    if (this.markFailed) this.failed(this.markFailed.error);
    this.markFailed = undefined;
    const c = this.leaderClient;
    this.leaderClient = undefined;
    // ending the session releases the advisory lock
    if (c) await c.end().catch(() => {});
  }

  private kick(): void {
    this.kicked = true;
    this.delay.cut();
  }

  private async drain(): Promise<void> {
    const c = this.leaderClient!;
    this.kicked = false;
    this.throwIfMarkFailed();
    // A drain starts from the lowest unpublished id, so a row committed late with a lower id than
    // the last drain's is not left behind. It leaves out rows sent but not yet marked (their marks
    // run on the pool, not in this loop), so the next drain need not wait for them — unless there
    // are so many that excluding them would cost more than the wait.
    if (this.unmarked.size > MAX_EXCLUDED) await this.marking;
    this.throwIfMarkFailed();
    let rows = await this.select(c, "0", [...this.unmarked]);
    // pipelined while there is a backlog: the next batch is read while this one is in flight, and
    // a batch is marked while the next is in flight. A batch is only sent once the one before it
    // is acknowledged, so order per key holds. Within a drain the reads go on from the last id
    // read; a row committed late with a lower id waits for the next drain (its NOTIFY asks for
    // one), and a drain starts over every DRAIN_BATCHES batches, so such a row never waits
    // behind a backlog for long.
    let batches = 0;
    while (rows.length > 0 && this.running) {
      const more = rows.length === this.opts.batchSize;
      const startOver = more && ++batches >= DRAIN_BATCHES;
      if (startOver) this.kicked = true; // drain again at once, from the lowest id
      const next = more && !startOver ? this.select(c, rows.at(-1)!.id, []) : Promise.resolve([]);
      next.catch(() => {}); // awaited below, or superseded by the send's failure
      await this.publish(rows);
      const ackedAt = new Date();
      this.opts.afterPublish?.();
      // a crash before this update lands republishes the batch: a duplicate consumers drop, never a loss
      this.markLater(rows, ackedAt);
      this.throwIfMarkFailed();
      rows = await next;
    }
  }

  private select(c: pg.Client, afterId: string, exclude: string[]): Promise<PendingOutboxRow[]> {
    return pendingOutboxRows(c, afterId, this.opts.batchSize, exclude);
  }

  private async publish(rows: PendingOutboxRow[]): Promise<void> {
    const records = await publishRows(this.publisher, rows);
    this.opts.onBatch?.(this.opts.name, records);
  }

  /** Marks run one after another on a pooled connection, not the leader's: queued behind a mark
   *  on one connection, the next batch's select was the relay's critical path
   *  (docs/performance.md). Marking rows that were published is right whoever leads meanwhile; until
   *  its mark commits a row is left out of the drains' selects. */
  private markLater(rows: PendingOutboxRow[], ackedAt: Date): void {
    const ids = rows.map((r) => r.id);
    for (const id of ids) this.unmarked.add(id);
    this.marking = this.marking
      .then(() => (this.markFailed ? undefined : this.mark(rows, ids, ackedAt)))
      .catch((error: unknown) => void (this.markFailed ??= { error }))
      .finally(() => {
        // after the mark committed (or failed: the rows are then published again, a duplicate)
        for (const id of ids) this.unmarked.delete(id);
      });
  }

  private throwIfMarkFailed(): void {
    const failed = this.markFailed;
    if (!failed) return;
    this.markFailed = undefined;
    throw failed.error;
  }

  private async mark(rows: PendingOutboxRow[], ids: string[], ackedAt: Date): Promise<void> {
    await markOutboxPublished(this.pool, ids, ackedAt);
    this.rate.add(rows.length);
    this.published.published(rows);
  }

  private async cleanupIfDue(): Promise<void> {
    if (Date.now() - this.lastCleanup < this.opts.cleanupIntervalMs) return;
    this.lastCleanup = Date.now();
    const deleted = await deletePublishedOutbox(this.leaderClient!, this.opts.retentionMs);
    if (deleted) this.log.info({ deleted }, "deleted published outbox rows past retention");
  }

  private idle(): Promise<void> {
    if (!this.running || (this.kicked && this.leaderClient)) return Promise.resolve();
    return this.delay.wait(this.opts.pollIntervalMs);
  }

  private failed(err: unknown): void {
    this.failures.failed(err);
  }

  private recovered(): void {
    this.failures.recovered();
  }
}
