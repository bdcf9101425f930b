// Publishes one service database's outbox from its WAL (RELAY_MODE=wal): the holder of the
// database's relay lock makes sure the replication slot exists and reads it; outbox rows the
// slot confirmed are deleted behind it, since nothing marks them. A standby takes over when
// the leader's session ends, as in poll mode, and waits while the old reader still holds the slot.
import {
  copySlot,
  createTemporarySlot,
  deleteOutboxRows,
  dropSlot,
  outboxBacklog,
  outboxIdsBefore,
  pendingOutboxRows,
  ping,
  replicationSlot,
  type SlotState,
  tryLeadOutbox,
} from "@orderflow/db-kit";
import type { Publisher } from "@orderflow/kafka";
import pg from "pg";
import type { Logger } from "pino";
import { FailureLog, WakeableDelay } from "./loop.js";
import { PublishedLog, publishRows } from "./publish.js";
import { parseLsn, WalStream } from "./wal-stream.js";
import { PublishRate, type WorkerOptions, type WorkerStatus } from "./worker.js";

export interface WalWorkerOptions extends WorkerOptions {
  /** the replication slot's name (cluster-wide, so one per database) */
  slot: string;
}

/** ids read per clean-up pass; a full pass starts the next at once */
const SWEEP_IDS = 10_000;
/** how often confirmed rows are looked for and deleted */
const SWEEP_MS = 1000;

/** how soon a new leader tries the slot again while the old reader's session lingers */
const SLOT_BUSY_RETRY_MS = 500;

/** the server's answer when another session still reads the slot */
const isSlotBusy = (e: unknown) => (e as { code?: string }).code === "55006";

export class WalWorker {
  private leaderClient: pg.Client | undefined;
  private readonly pool: pg.Pool;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly delay = new WakeableDelay();
  private stream: WalStream | undefined;
  /** the slot existed while this process ran: its absence later is a loss, not a first start */
  private slotSeen = false;
  private readonly failures: FailureLog;
  private readonly rate = new PublishRate();
  private readonly published: PublishedLog;
  readonly log: Logger;

  constructor(
    private readonly opts: WalWorkerOptions,
    private readonly publisher: Publisher,
    log: Logger,
  ) {
    this.log = log.child({ database: opts.name, slot: opts.slot });
    this.failures = new FailureLog(this.log);
    this.published = new PublishedLog(this.log);
    // slot state, clean-up, status and readiness queries, beside the leader's session
    this.pool = new pg.Pool({ connectionString: opts.url, max: 2, connectionTimeoutMillis: 2000 });
    this.pool.on("error", () => {}); // idle-client errors surface on the next query
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.delay.cut();
    await this.stream?.stop();
    await this.loop;
    await this.releaseLeadership();
    await this.pool.end();
  }

  async status(): Promise<WorkerStatus> {
    const base = { database: this.opts.name, leader: this.leaderClient !== undefined, mode: "wal" as const };
    const publishedPerSecond = this.rate.perSecond();
    try {
      const [{ backlog, oldestPendingSeconds }, slot] = await Promise.all([
        outboxBacklog(this.pool),
        replicationSlot(this.pool, this.opts.slot),
      ]);
      const lagSeconds = this.stream?.lagSeconds() ?? 0;
      return {
        ...base,
        reachable: true,
        backlog,
        oldestPendingSeconds,
        publishedPerSecond,
        slot: { name: this.opts.slot, exists: slot.exists, lagBytes: slot.lagBytes, lagSeconds },
      };
    } catch {
      return { ...base, reachable: false, backlog: 0, oldestPendingSeconds: 0, publishedPerSecond };
    }
  }

  async ping(): Promise<void> {
    await ping(this.pool);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.leaderClient) await this.tryLead();
        if (this.leaderClient) await this.read(this.leaderClient);
        this.recovered();
      } catch (err) {
        if (isSlotBusy(err)) {
          // the previous reader's session has not ended yet (a takeover): wait for it
          if (this.failures.state !== "busy") this.log.info("replication slot still read by another session; waiting");
          this.failures.state = "busy";
        } else {
          this.failed(err);
          await this.releaseLeadership();
        }
      }
      await this.idle(this.failures.state === "busy" ? SLOT_BUSY_RETRY_MS : this.opts.pollIntervalMs);
    }
  }

  private async tryLead(): Promise<void> {
    const c = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 5000 });
    c.on("error", () => {}); // a dropped session shows up as a failing query, or ends the stream below
    await c.connect();
    try {
      if (!(await tryLeadOutbox(c))) {
        await c.end();
        return;
      }
      // without its lock this replica must stop reading: another may take the slot over
      c.on("end", () => void this.stream?.stop());
      this.leaderClient = c;
      this.log.info("leading: publishing this database's outbox from its replication slot");
    } catch (e) {
      await c.end().catch(() => {});
      throw e;
    }
  }

  private async releaseLeadership(): Promise<void> {
    const c = this.leaderClient;
    this.leaderClient = undefined;
    // ending the session releases the advisory lock (and a temporary slot it made)
    if (c) await c.end().catch(() => {});
  }

  /** Reads the slot until the stream ends or stop() is called. */
  private async read(session: pg.Client): Promise<void> {
    const confirmedFrom = await this.ensureSlot(session);
    if (!this.running) return;
    const stream = new WalStream({
      url: this.opts.url,
      slot: this.opts.slot,
      confirmedFrom,
      publisher: this.publisher,
      log: this.log,
      batchSize: this.opts.batchSize,
      ...(this.opts.afterPublish ? { afterPublish: this.opts.afterPublish } : {}),
      onReading: () => this.recovered(),
      onSent: (records) => {
        this.rate.add(records.length);
        this.published.published(records);
        this.opts.onBatch?.(this.opts.name, records);
      },
    });
    this.stream = stream;
    const sweeping = this.sweep(stream);
    try {
      await stream.run();
    } finally {
      this.stream = undefined;
      await sweeping;
    }
  }

  /** Makes the slot when it is missing or was invalidated; its confirmed position. */
  private async ensureSlot(session: pg.Client): Promise<bigint> {
    let slot = await replicationSlot(session, this.opts.slot);
    if (slot.otherDatabase !== undefined)
      throw new Error(
        `replication slot ${this.opts.slot} belongs to database ${slot.otherDatabase}: slot names are shared by the whole server, so give each relay deployment on it its own RELAY_SLOT_PREFIX`,
      );
    if (slot.lost) {
      this.log.error(
        `replication slot ${this.opts.slot} was invalidated (it held more WAL than max_slot_wal_keep_size allows): dropping and recreating it, and republishing the outbox rows not yet confirmed`,
      );
      await dropSlot(session, this.opts.slot);
      slot = { ...slot, exists: false };
    } else if (!slot.exists && this.slotSeen) {
      this.log.error(
        `replication slot ${this.opts.slot} is gone (dropped by an operator?): recreating it and republishing the outbox rows not yet confirmed`,
      );
    }
    if (!slot.exists) {
      const level = (await session.query<{ wal_level: string }>("SHOW wal_level")).rows[0]?.wal_level;
      if (level !== "logical")
        throw new Error(
          `PostgreSQL runs with wal_level=${level}: RELAY_MODE=wal (the default) needs wal_level=logical (docs/relay.md), or set RELAY_MODE=poll`,
        );
      slot = await this.createSlot(session);
    }
    this.slotSeen = true;
    return parseLsn(slot.confirmedLsn);
  }

  /** A new slot starts at the moment it is made, so the rows already in the outbox (not yet
   *  confirmed by a slot, or written before there was one) are published from the table first.
   *  The slot is made temporary and copied to its persistent name only once they are sent: a
   *  relay that dies half-way leaves no slot, and the next leader starts over. */
  private async createSlot(session: pg.Client): Promise<SlotState> {
    const temporary = `${this.opts.slot}_init`;
    await createTemporarySlot(session, temporary);
    let republished = 0;
    for (let after = "0"; ; ) {
      const rows = await pendingOutboxRows(session, after, this.opts.batchSize, []);
      if (rows.length === 0) break;
      const records = await publishRows(this.publisher, rows);
      this.published.published(records);
      this.opts.onBatch?.(this.opts.name, records);
      republished += rows.length;
      after = rows.at(-1)!.id;
    }
    await copySlot(session, temporary, this.opts.slot);
    await dropSlot(session, temporary);
    this.log.info({ republished }, "created the replication slot after publishing the outbox's rows");
    return replicationSlot(session, this.opts.slot);
  }

  /** Deletes outbox rows behind the confirmed position: the ids read now all belong to
   *  transactions that end before the WAL position read with them, so once the stream confirmed
   *  that position every one of them was acknowledged by the broker. */
  private async sweep(stream: WalStream): Promise<void> {
    let pending: { ids: string[]; lsn: bigint } | undefined;
    while (this.stream === stream) {
      try {
        if (!pending) {
          const read = await outboxIdsBefore(this.pool, SWEEP_IDS);
          if (read.ids.length > 0) pending = { ids: read.ids, lsn: parseLsn(read.lsn) };
        } else if (stream.confirmedLsn() >= pending.lsn) {
          const deleted = await deleteOutboxRows(this.pool, pending.ids);
          this.log.debug({ deleted }, "deleted outbox rows the slot confirmed");
          const full = pending.ids.length === SWEEP_IDS;
          pending = undefined;
          if (full) continue;
        }
      } catch (err) {
        this.failed(err);
      }
      await new Promise((resolve) => setTimeout(resolve, SWEEP_MS));
    }
  }

  private idle(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return this.delay.wait(ms);
  }

  private failed(err: unknown): void {
    this.failures.failed(err);
  }

  private recovered(): void {
    this.failures.recovered();
  }
}
