// Offset commits in the background, for the consume loop (consumer.ts). The records are handled
// and resolved before their offsets are committed; a commit that fails or never lands means a
// redelivery, which the handlers' inbox drops. What must not happen is a commit that never
// settles: commits go out one call at a time, so one stuck call would hold back every later one
// (the group's lag would grow for ever while its records are handled) and a member that stops
// waits for its commits. So each call has a deadline; a failed offset is sent again until it or a
// later one lands (the last records of a burst have no later commit to carry theirs, and the
// group's lag would stay behind what was handled); and when commits have gone on failing for a
// while the consumer is told to start afresh (`onStuck`: new connections, a new member).
import { coalesce } from "@orderflow/batching";
import { settledWithin } from "./retry.js";

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** the next offset to read, as Kafka commits it */
  offset: string;
}

export interface OffsetCommitterOptions {
  /** one commit call longer than this counts as failed (its offsets go with the next call) */
  timeoutMs: number;
  /** commits failing without a success in between for this long: `onStuck` */
  stuckAfterMs: number;
  onFailure(err: unknown, offset: PartitionOffset): void;
  onStuck(failingForMs: number): void;
  /** a failed offset is sent again after this long (default 1 s) */
  retryAfterMs?: number;
  now?: () => number;
}

export class CommitTimeoutError extends Error {
  constructor(ms: number) {
    super(`offset commit did not settle within ${ms} ms`);
    this.name = "CommitTimeoutError";
  }
}

const keyOf = (o: PartitionOffset) => `${o.topic}|${o.partition}`;

export class OffsetCommitter {
  private readonly inFlight = new Set<Promise<void>>();
  private failingSince: number | undefined;
  /** per partition: the latest offset that failed and has not been overtaken by one that landed */
  private readonly owed = new Map<string, PartitionOffset>();
  private readonly landed = new Map<string, bigint>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** bumped by forget(): a call sent before it owes nothing when it fails */
  private epoch = 0;
  private readonly now: () => number;
  private readonly send: (offset: PartitionOffset) => Promise<void>;

  constructor(
    commit: (offsets: PartitionOffset[]) => Promise<void>,
    private readonly opts: OffsetCommitterOptions,
  ) {
    this.now = opts.now ?? Date.now;
    // what arrives while a call is in flight goes in the next call, the latest offset per partition
    this.send = coalesce<PartitionOffset, void>(async (items) => {
      const latest = new Map<string, PartitionOffset>();
      for (const o of items) {
        const k = keyOf(o);
        const seen = latest.get(k);
        if (!seen || BigInt(o.offset) > BigInt(seen.offset)) latest.set(k, o);
      }
      await withDeadline(commit([...latest.values()]), opts.timeoutMs);
      return items.map(() => undefined);
    });
  }

  /** Commits `offset` in the background (never rejects: a failure is reported to `onFailure`). */
  commit(offset: PartitionOffset): void {
    const epoch = this.epoch;
    const sent = this.send(offset).then(
      () => {
        this.failingSince = undefined;
        this.settled(offset);
      },
      (err: unknown) => {
        this.opts.onFailure(err, offset);
        if (epoch === this.epoch) this.owe(offset);
        const now = this.now();
        this.failingSince ??= now;
        if (now - this.failingSince >= this.opts.stuckAfterMs) {
          const failingFor = now - this.failingSince;
          this.failingSince = undefined; // the next complaint comes another `stuckAfterMs` later
          this.opts.onStuck(failingFor);
        }
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Forgets the offsets owed (the member's partitions were revoked, or it stopped): a new
   *  member reads from the last committed offset and commits its own. */
  forget(): void {
    this.epoch++;
    this.owed.clear();
    this.landed.clear();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private settled(o: PartitionOffset): void {
    const k = keyOf(o);
    const n = BigInt(o.offset);
    if ((this.landed.get(k) ?? -1n) < n) this.landed.set(k, n);
    const owed = this.owed.get(k);
    if (owed && BigInt(owed.offset) <= n) this.owed.delete(k);
  }

  private owe(o: PartitionOffset): void {
    const k = keyOf(o);
    const n = BigInt(o.offset);
    if ((this.landed.get(k) ?? -1n) >= n) return;
    const owed = this.owed.get(k);
    if (!owed || BigInt(owed.offset) < n) this.owed.set(k, o);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      const again = [...this.owed.values()];
      this.owed.clear();
      for (const a of again) this.commit(a);
    }, this.opts.retryAfterMs ?? 1_000);
    this.retryTimer.unref();
  }

  /** Waits for the commits sent so far, for `maxWaitMs` at most; false if some had not settled. */
  async drain(maxWaitMs: number): Promise<boolean> {
    return this.inFlight.size === 0 || settledWithin(Promise.all(this.inFlight), maxWaitMs);
  }

  get pending(): number {
    return this.inFlight.size;
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CommitTimeoutError(ms)), ms))),
  ]).finally(() => clearTimeout(timer));
}
