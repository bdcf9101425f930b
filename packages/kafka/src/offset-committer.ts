// Offset commits in the background, for the consume loop (consumer.ts). The records are handled
// and resolved before their offsets are committed; a commit that fails or never lands means a
// redelivery, which the handlers' inbox drops. What must not happen is a commit that never
// settles: commits go out one call at a time, so one stuck call would hold back every later one
// (the group's lag would grow for ever while its records are handled) and a member that stops
// waits for its commits. So each call has a deadline, and when commits have gone on failing for a
// while the consumer is told to start afresh (`onStuck`: new connections, a new member).
import { coalesce } from "./coalesce.js";
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
  now?: () => number;
}

export class CommitTimeoutError extends Error {
  constructor(ms: number) {
    super(`offset commit did not settle within ${ms} ms`);
    this.name = "CommitTimeoutError";
  }
}

export class OffsetCommitter {
  private readonly inFlight = new Set<Promise<void>>();
  private failingSince: number | undefined;
  private readonly now: () => number;
  private readonly send: (offset: PartitionOffset) => Promise<void>;

  constructor(commit: (offsets: PartitionOffset[]) => Promise<void>, private readonly opts: OffsetCommitterOptions) {
    this.now = opts.now ?? Date.now;
    // what arrives while a call is in flight goes in the next call, the latest offset per partition
    this.send = coalesce<PartitionOffset, void>(async (items) => {
      const latest = new Map<string, PartitionOffset>();
      for (const o of items) {
        const k = `${o.topic}|${o.partition}`;
        const seen = latest.get(k);
        if (!seen || BigInt(o.offset) > BigInt(seen.offset)) latest.set(k, o);
      }
      await withDeadline(commit([...latest.values()]), opts.timeoutMs);
      return items.map(() => undefined);
    });
  }

  /** Commits `offset` in the background (never rejects: a failure is reported to `onFailure`). */
  commit(offset: PartitionOffset): void {
    const sent = this.send(offset).then(
      () => {
        this.failingSince = undefined;
      },
      (err: unknown) => {
        this.opts.onFailure(err, offset);
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
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CommitTimeoutError(ms)), ms)))]).finally(() => clearTimeout(timer));
}
