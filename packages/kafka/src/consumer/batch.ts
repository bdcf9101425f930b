// One partition batch from kafkajs: its records become runs for the handler, or go down the
// record path alone; each record's offset is resolved once it is handled, dead-lettered, parked,
// skipped or released, and committed in the background behind it.
import { coalesce } from "@orderflow/batching";
import type { TopicName } from "@orderflow/contracts";
import type { EachBatchPayload, KafkaMessage } from "kafkajs";
import type { OffsetCommitter } from "../offset-committer.js";
import type { KeyParking, ParkedAt } from "../parking.js";
import { Aborted, type BatchIo } from "./io.js";
import type { RecordPath } from "./record-path.js";
import { plainRecord, type Runs } from "./runs.js";
import type { ConsumerObserver, IncomingEvent } from "./types.js";

export interface BatchDeps {
  group: string;
  /** the topic's name without the environment's prefix */
  logical(physicalTopic: string): string;
  runs: Runs;
  recordPath: RecordPath;
  committer: Pick<OffsetCommitter, "commit" | "drain">;
  /** the parked keys among a batch's keys */
  blockedKeys?: ((keys: string[]) => Promise<Map<string, ParkedAt>>) | undefined;
  observer?: ConsumerObserver | undefined;
  /** commit at least every N records */
  commitEvery: number;
  maxRunRecords: number;
  /** how long a batch that ends because its member leaves waits for its commits */
  stopWaitMs: number;
  stopped(): boolean;
}

/** The parking lookups of the batches in flight, one query for all of them. */
export function blockedKeysOf(parking: KeyParking): (keys: string[]) => Promise<Map<string, ParkedAt>> {
  return coalesce<string[], Map<string, ParkedAt>>(async (lists) => {
    const found = await parking.blocked([...new Set(lists.flat())]);
    return lists.map((keys) => new Map(keys.flatMap((k) => (found.has(k) ? [[k, found.get(k)!] as const] : []))));
  });
}

type Gathered = { m: KafkaMessage; e: IncomingEvent };

export class PartitionBatch {
  private readonly topic: TopicName;
  private readonly io: BatchIo;
  private blocked = new Map<string, ParkedAt>();
  /** the last offset resolved and not yet committed */
  private pending: string | undefined;
  private sinceCommit = 0;
  private run: Gathered[] = [];

  constructor(
    private readonly deps: BatchDeps,
    private readonly p: EachBatchPayload,
  ) {
    this.topic = deps.logical(p.batch.topic) as TopicName;
    this.io = { heartbeat: p.heartbeat, keepGoing: () => !deps.stopped() && p.isRunning() && !p.isStale() };
  }

  async handle(): Promise<void> {
    const { batch } = this.p;
    // what the fetch cycle cost each record, measured before anything of this batch runs
    const waited = this.deps.observer?.waited;
    if (waited) {
      const now = Date.now();
      waited({
        group: this.deps.group,
        topic: this.topic,
        waitedMs: batch.messages.map((m) => now - Number(m.timestamp)),
      });
    }
    const keys = [...new Set(batch.messages.flatMap((m) => (m.key ? [m.key.toString("utf8")] : [])))];
    if (this.deps.blockedKeys && keys.length) this.blocked = await this.deps.blockedKeys(keys);
    try {
      for (const m of batch.messages) {
        if (!this.io.keepGoing()) break;
        const plain = plainRecord(this.topic, batch.partition, m, this.blocked);
        if (plain) {
          this.run.push({ m, e: plain });
          if (this.run.length >= this.deps.maxRunRecords) await this.flush();
          continue;
        }
        // anything unusual (a redrive, a control record, a parked key, a record that does not
        // decode) goes alone, after the run before it
        await this.flush();
        await this.one(m);
        await this.p.heartbeat();
      }
      if (this.io.keepGoing()) await this.flush();
    } catch (e) {
      if (!(e instanceof Aborted)) {
        this.commit();
        throw e;
      }
    }
    this.commit();
    // leaving the group (stop, shutdown): its commits land before kafkajs leaves, or they would be refused
    if (this.deps.stopped() || !this.p.isRunning()) await this.deps.committer.drain(this.deps.stopWaitMs);
  }

  /** The gathered run to the handler; if it fails, its records down the record path one by one
   *  (a run of one goes on from its second attempt: the failed call was its first). */
  private async flush(): Promise<void> {
    if (this.run.length === 0) return;
    const chunk = this.run;
    this.run = [];
    const started = performance.now();
    const result = await this.deps.runs.handle(
      this.topic,
      chunk.map((c) => c.e),
      this.io,
    );
    if (!result.ok) {
      for (const c of chunk) {
        if (!this.io.keepGoing()) throw new Aborted();
        await this.one(c.m, chunk.length === 1 ? { err: result.err } : undefined);
      }
      return;
    }
    const each = (performance.now() - started) / chunk.length;
    for (const c of chunk) {
      this.deps.observer?.record?.({ group: this.deps.group, topic: this.topic, outcome: "handled", durationMs: each });
      this.done(c.m);
    }
    await this.p.heartbeat();
  }

  private async one(m: KafkaMessage, firstFailure?: { err: unknown }): Promise<void> {
    const started = performance.now();
    const outcome = await this.deps.recordPath.process(
      this.topic,
      this.p.batch.partition,
      m,
      this.io,
      this.blocked,
      firstFailure,
    );
    this.deps.observer?.record?.({
      group: this.deps.group,
      topic: this.topic,
      outcome,
      durationMs: performance.now() - started,
    });
    this.done(m);
  }

  private done(m: KafkaMessage): void {
    this.p.resolveOffset(m.offset);
    this.pending = m.offset;
    if (++this.sinceCommit >= this.deps.commitEvery) {
      this.commit();
      this.sinceCommit = 0;
    }
  }

  /** in the background: the next fetch need not wait for the commit's round trip
   *  (offset-committer.ts); a stopping member waits a moment for those in flight */
  private commit(): void {
    if (this.pending === undefined) return;
    const offset = (BigInt(this.pending) + 1n).toString();
    this.pending = undefined;
    this.deps.committer.commit({ topic: this.p.batch.topic, partition: this.p.batch.partition, offset });
  }
}
