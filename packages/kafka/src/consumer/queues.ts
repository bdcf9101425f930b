// Fetching on while runs are applied. kafkajs fetches from a broker again only once every batch of
// its last fetch was handed back, so a record that lands while a run is applied waits for that run
// and then a fetch round trip (ADR 0022). Here a received batch's offsets are resolved at once,
// which lets kafkajs fetch past it, and its records wait in a queue of their partition; each
// partition's queue is handled in order, partitions side by side (their runs still share one
// handler call, runs.ts). Offsets are still committed only once their records are handled
// (batch.ts), so what a queue holds is only ever fetched ahead, never given up:
// - a new generation, a rebalance or a crash drops every queued batch: kafkajs then reads each
//   partition from its committed offset again, and a batch in hand stops at its next record;
// - a batch that fails drops its partition's queue and seeks the partition back to its first
//   record not handled, after a pause;
// - a partition whose queue holds more than `maxQueuedRecords` is paused until it is half empty.
import type { EachBatchPayload } from "kafkajs";
import type { Logger } from "pino";
import { errorClass, errorMessage } from "../errors.js";
import type { BatchesInFlight } from "./stop.js";

export interface QueuesDeps {
  /** handles one batch; its `resolveOffset` records what was handled */
  handle(p: EachBatchPayload): Promise<void>;
  /** moves a partition's next fetch to `offset` (kafkajs `seek`) */
  seek(topic: string, partition: number, offset: string): void;
  /** the queues being worked through, for a member that stops */
  inFlight: BatchesInFlight;
  log: Logger;
  /** records queued per partition before it is paused */
  maxQueuedRecords: number;
  /** the records queued in all partitions, whenever that number changes */
  onQueued?: ((records: number) => void) | undefined;
  /** the pause before a failed partition is read again; default 1 s */
  retryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  batches: EachBatchPayload[];
  records: number;
  working: boolean;
  /** a batch failed: nothing is queued until the partition was sought back */
  failing: boolean;
  /** resumes the partition kafkajs was told to pause */
  resume: (() => void) | undefined;
}

/** Consecutive batches of one partition as one (the latest payload's functions: they are the
 *  partition's, whichever fetch brought the batch). */
function merged(batches: EachBatchPayload[]): EachBatchPayload | undefined {
  const last = batches.at(-1);
  if (!last || batches.length === 1) return last;
  return { ...last, batch: { ...last.batch, messages: batches.flatMap((b) => b.batch.messages) } };
}

export class PartitionQueues {
  private readonly queues = new Map<string, PartitionQueue>();
  /** bumped by `reset`: work of an earlier generation stops at its next record */
  private generation = 0;

  constructor(private readonly deps: QueuesDeps) {}

  /** kafkajs' `eachBatch`: queues the batch and returns, so the next fetch goes out at once. */
  async receive(p: EachBatchPayload): Promise<void> {
    const { messages, topic, partition } = p.batch;
    // a seek is pending for the partition: the batch is from before it
    if (messages.length === 0 || p.isStale()) return;
    const key = `${topic}|${partition}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { topic, partition, batches: [], records: 0, working: false, failing: false, resume: undefined };
      this.queues.set(key, q);
    }
    // fetched before the partition was paused after a failure: read again after the seek
    if (q.failing) return;
    p.resolveOffset(messages.at(-1)!.offset);
    q.batches.push(p);
    q.records += messages.length;
    this.changed();
    if (!q.working) {
      q.working = true;
      void this.deps.inFlight.track(this.work(q, this.generation));
    }
    if (q.records > this.deps.maxQueuedRecords && !q.resume) q.resume = p.pause();
  }

  /** Drops every queued batch (a new generation, a rebalance, a crash: kafkajs reads from the
   *  committed offsets again); a batch in hand stops at its next record. */
  reset(): void {
    this.generation++;
    for (const q of this.queues.values()) this.drop(q);
  }

  /** records queued and not yet handed to a batch, all partitions */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.records;
    return n;
  }

  private async work(q: PartitionQueue, generation: number): Promise<void> {
    try {
      while (generation === this.generation) {
        // everything the partition received while the last batch was applied goes as one batch:
        // what accumulates behind a run is the next run, as when kafkajs fetched it at once
        const p = merged(q.batches.splice(0));
        if (!p) break;
        q.records -= p.batch.messages.length;
        this.changed();
        if (q.resume && q.records <= this.deps.maxQueuedRecords / 2) {
          q.resume();
          q.resume = undefined;
        }
        let handled: string | undefined;
        const batch: EachBatchPayload = {
          ...p,
          // resolved on receipt already; what was handled is where a failed batch is read again from
          resolveOffset: (offset: string) => void (handled = offset),
          // kafkajs' own fetch loop heartbeats too and handles a rebalance it reports (REBALANCING
          // then reaches `reset`): refused here, it is no failure of the batch
          heartbeat: () => p.heartbeat().catch(() => {}),
          isStale: () => generation !== this.generation || p.isStale(),
        };
        try {
          await this.deps.handle(batch);
        } catch (err) {
          await this.failed(q, p, handled, err, generation);
          break;
        }
      }
    } finally {
      q.working = false;
      // batches of a newer generation, queued while this one finished its batch in hand
      if (q.batches.length > 0) {
        q.working = true;
        void this.deps.inFlight.track(this.work(q, this.generation));
      }
    }
  }

  private async failed(
    q: PartitionQueue,
    p: EachBatchPayload,
    handled: string | undefined,
    err: unknown,
    generation: number,
  ): Promise<void> {
    const messages = p.batch.messages;
    const next =
      (handled === undefined ? messages[0] : messages.find((m) => BigInt(m.offset) > BigInt(handled!)))?.offset ??
      (BigInt(messages.at(-1)!.offset) + 1n).toString();
    this.drop(q);
    if (generation !== this.generation) return;
    q.failing = true;
    const retryAfterMs = this.deps.retryAfterMs ?? 1_000;
    this.deps.log.error(
      {
        topic: q.topic,
        partition: q.partition,
        offset: next,
        errorClass: errorClass(err),
        errorMessage: errorMessage(err),
        retryAfterMs,
      },
      "batch failed; the partition is read again from its first record not handled",
    );
    // paused meanwhile, so nothing past the failed record is fetched and queued
    q.resume = p.pause();
    await (this.deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(retryAfterMs);
    q.failing = false;
    if (generation !== this.generation) return;
    try {
      this.deps.seek(q.topic, q.partition, next);
    } catch {
      // kafkajs refuses a seek while its consumer is not running: a new generation reads the
      // partition from its committed offset, which is not past the failed record either
    }
    q.resume?.();
    q.resume = undefined;
  }

  private changed(): void {
    this.deps.onQueued?.(this.queued);
  }

  private drop(q: PartitionQueue): void {
    q.failing = false;
    q.batches = [];
    q.records = 0;
    this.changed();
    q.resume?.();
    q.resume = undefined;
  }
}
