// Stopping a member: the batches in hand finish their record and commit what they handled, and
// those commits land, all while the member still owns its partitions (kafkajs drops a commit
// made once it is stopping). What does not land in time is redelivered to the next member, whose
// inbox drops it: better than a shutdown that outlasts its grace period.
import type { Logger } from "pino";
import type { OffsetCommitter } from "../offset-committer.js";
import { settledWithin } from "../retry.js";

/** The partition batches being handled. */
export class BatchesInFlight {
  private readonly work = new Set<Promise<void>>();

  async track(work: Promise<void>): Promise<void> {
    this.work.add(work);
    try {
      await work;
    } finally {
      this.work.delete(work);
    }
  }

  /** true if every batch in flight settled within `ms` */
  settledWithin(ms: number): Promise<boolean> {
    return settledWithin(Promise.all(this.work), ms);
  }

  get size(): number {
    return this.work.size;
  }
}

export interface StopDeps {
  batches: BatchesInFlight;
  committer: Pick<OffsetCommitter, "drain" | "forget" | "pending">;
  stopWaitMs: number;
  log: Logger;
  /** leaves the group */
  disconnect(): Promise<void>;
  /** lets go of what the key parking holds */
  closeParking?: (() => Promise<void>) | undefined;
  now?: () => number;
}

/** Waits `stopWaitMs` at most for the batches in hand and then their commits (a member that
 *  leaves, or rejoins in a rebalance); false if some had not settled. */
export async function settleInHand(
  d: Pick<StopDeps, "batches" | "committer" | "stopWaitMs" | "now">,
): Promise<boolean> {
  const now = d.now ?? Date.now;
  const deadline = now() + d.stopWaitMs;
  return (await d.batches.settledWithin(d.stopWaitMs)) && (await d.committer.drain(Math.max(0, deadline - now())));
}

/** Waits `stopWaitMs` at most for the batches in hand and their commits, then leaves the group. */
export async function stopMember(d: StopDeps): Promise<void> {
  if (!(await settleInHand(d))) {
    d.log.warn(
      { batchesInFlight: d.batches.size, commitsUnsettled: d.committer.pending, waitedMs: d.stopWaitMs },
      "leaving the group before every handled record's offset commit landed; those records will be redelivered (the inbox drops them)",
    );
  }
  d.committer.forget();
  await d.disconnect();
  await d.closeParking?.();
}
