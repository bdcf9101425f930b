// The consume loop, assembled from its parts (consumer/): lifecycle → partition batch → runs (group
// commit) or the record path (redrive routing → parking → decode and validate → handle with
// retries and outage waits → dead letter) → offset commit; stop. An offset is committed only once
// its record was handled or safely dead-lettered.
import type { Logger } from "pino";
import type { KafkaClient } from "./client.js";
import { BatchesInFlight, settleInHand, stopMember } from "./consumer/stop.js";
import { type BatchDeps, blockedKeysOf, PartitionBatch } from "./consumer/batch.js";
import { DeadLetters } from "./consumer/dead-letters.js";
import { ConsumerLifecycle } from "./consumer/lifecycle.js";
import { PartitionQueues } from "./consumer/queues.js";
import { RecordPath } from "./consumer/record-path.js";
import type { RetryDeps } from "./consumer/retries.js";
import { Runs } from "./consumer/runs.js";
import type { ConsumerObserver, EventConsumer, EventConsumerOptions } from "./consumer/types.js";
import { defaultErrorClassifier, errorClass, errorMessage } from "./errors.js";
import { OffsetCommitter } from "./offset-committer.js";
import type { Publisher } from "./publisher.js";
import { DEFAULT_RETRY } from "./retry.js";

export type {
  ConsumerObserver,
  EventConsumer,
  EventConsumerOptions,
  IncomingEvent,
  Outcome,
  RunContext,
  RunHandler,
} from "./consumer/types.js";

export function createEventConsumer(
  client: KafkaClient,
  publisher: Publisher,
  opts: EventConsumerOptions,
): EventConsumer {
  const log = client.logger.child({ consumerGroup: opts.groupId });
  const group = opts.groupId;
  const stopWaitMs = opts.commits?.stopWaitMs ?? 3_000;
  const retries: RetryDeps = {
    handler: opts.handler,
    errors: opts.errors ?? defaultErrorClassifier,
    policy: { ...DEFAULT_RETRY, ...opts.retry },
    group,
    observer: opts.observer,
  };
  const batches = new BatchesInFlight();
  const lifecycle: ConsumerLifecycle = new ConsumerLifecycle({
    create: (config) => client.kafka.consumer(config),
    // the prefix isolates groups too: members of different environments never share a group
    groupId: client.physical(group),
    topics: opts.topics.map((t) => client.physical(t)),
    group,
    fromBeginning: opts.fromBeginning ?? true,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 16,
    sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
    fetch: opts.fetch ?? { minBytes: 1, maxWaitMs: 500 },
    log,
    observer: opts.observer,
    eachBatch: (p) => (opts.fetchAhead ? queues.receive(p) : batches.track(new PartitionBatch(batchDeps, p).handle())),
    // offsets owed from before a new generation are its to commit; it reads from them again
    onJoin: () => {
      committer.forget();
      queues.reset();
    },
    onLeave: () => queues.reset(),
    // like a Java consumer's onPartitionsRevoked: the runs in hand (told to end at their next
    // record by REBALANCING's onLeave, just before) and their commits land in this generation, so
    // no partition is applied by two members at once
    beforeRejoin: async () => {
      if (!(await settleInHand({ batches, committer, stopWaitMs })))
        log.warn(
          { batchesInFlight: batches.size, commitsUnsettled: committer.pending, waitedMs: stopWaitMs },
          "rejoining before the runs in hand and their commits settled; their records will be redelivered (the inbox drops them)",
        );
    },
  });
  const committer = createCommitter(client, log, opts, lifecycle);
  const batchDeps = createBatchDeps(client, publisher, opts, { log, retries, committer, lifecycle, stopWaitMs });
  const queues = new PartitionQueues({
    handle: (p) => new PartitionBatch(batchDeps, p).handle(),
    seek: (topic, partition, offset) => lifecycle.consumer.seek({ topic, partition, offset }),
    inFlight: batches,
    log,
    maxQueuedRecords: opts.maxQueuedRecords ?? 1_000,
    onQueued: opts.observer?.queued ? (records) => opts.observer!.queued!({ group, records }) : undefined,
  });

  return {
    start: () => lifecycle.start(),
    async stop() {
      lifecycle.stopping();
      queues.reset();
      const parking = opts.parking;
      await stopMember({
        batches,
        committer,
        stopWaitMs,
        log,
        disconnect: () => lifecycle.disconnect(),
        closeParking: parking?.close ? () => parking.close!() : undefined,
      });
    },
    isReady: () => lifecycle.isReady(),
  };
}

/** Commits the handled offsets; a client that no longer gets commits through is replaced by a new
 *  member, as after a crash. */
function createCommitter(
  client: KafkaClient,
  log: Logger,
  opts: EventConsumerOptions,
  lifecycle: ConsumerLifecycle,
): OffsetCommitter {
  return new OffsetCommitter((offsets) => lifecycle.consumer.commitOffsets(offsets), {
    timeoutMs: opts.commits?.timeoutMs ?? 30_000,
    stuckAfterMs: opts.commits?.stuckAfterMs ?? 60_000,
    onFailure: (err, o) =>
      log.warn(
        {
          topic: client.logical(o.topic),
          partition: o.partition,
          offset: o.offset,
          errorClass: errorClass(err),
          errorMessage: errorMessage(err),
        },
        "offset commit failed; the records after the last committed offset will be redelivered (the inbox drops them)",
      ),
    onStuck: (failingForMs) => {
      if (lifecycle.isStopped()) return;
      // the kafkajs client no longer gets a commit through (a stuck request, a member the group
      // no longer knows): new connections and a new member, as after a crash
      log.error(
        { failingForMs },
        "offset commits failing for a minute while records are handled; starting a new consumer",
      );
      void lifecycle.restart();
    },
  });
}

/** What every partition batch shares: the run and record paths, the committer and the limits. */
function createBatchDeps(
  client: KafkaClient,
  publisher: Publisher,
  opts: EventConsumerOptions,
  parts: {
    log: Logger;
    retries: RetryDeps;
    committer: OffsetCommitter;
    lifecycle: ConsumerLifecycle;
    stopWaitMs: number;
  },
): BatchDeps {
  const { log, retries, committer, lifecycle, stopWaitMs } = parts;
  const group = opts.groupId;
  const deadLetters = new DeadLetters({ publisher, group: opts.deadLetterGroup ?? group, parking: opts.parking });
  return {
    group,
    logical: (topic: string) => client.logical(topic),
    runs: new Runs({ log, retries, maxCombinedRecords: opts.runs?.maxCombinedRecords ?? 500 }),
    recordPath: new RecordPath({ group, log, parking: opts.parking, deadLetters, retries }),
    committer,
    blockedKeys: opts.parking ? blockedKeysOf(opts.parking) : undefined,
    observer: opts.observer,
    commitEvery: opts.commitEvery ?? 100,
    maxRunRecords: opts.runs?.maxRecords ?? 100,
    stopWaitMs,
    stopped: () => lifecycle.isStopped(),
  };
}

/** Fault injection for tests: the process SIGKILLs itself once `n` records have been handled —
 *  their database transactions committed, their offsets not yet — the window in which a crash
 *  makes Kafka redeliver work that is already done (the inbox must recognise it). */
export function crashAfterHandled(observer: ConsumerObserver, n: number, log: Logger): ConsumerObserver {
  let handled = 0;
  return {
    ...observer,
    record(o) {
      observer.record?.(o);
      if (o.outcome === "handled" && ++handled === n) {
        log.warn({ handled }, "failpoint crash-after-handled: SIGKILL before the offsets are committed");
        process.kill(process.pid, "SIGKILL");
      }
    },
  };
}
