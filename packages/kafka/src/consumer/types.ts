// What a service gives the consumer and what it gets back.
import type { OrderflowEvent, TopicName } from "@orderflow/contracts";
import type { Logger } from "pino";
import type { ErrorClassifier } from "../errors.js";
import type { KeyParking } from "../parking.js";
import type { RetryPolicy } from "../retry.js";

export interface IncomingEvent {
  event: OrderflowEvent;
  topic: TopicName;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface RunContext {
  /** the run's log (on the record-by-record path, the record's) */
  log: Logger;
  /** a log carrying one event's ids: topic, partition, offset, key, event and correlation ids */
  logFor(event: IncomingEvent): Logger;
  heartbeat(): Promise<void>;
}

/** Handles a run of consecutive, well-formed records of one partition, all or nothing (one
 *  database transaction, say); a single record is a run of one. Runs of several partitions that
 *  are ready together come in one call (group commit), so it must accept records of several
 *  partitions and topics at once. When it throws, the consumer handles the run again record by
 *  record (runs of one) with retries, outage waits and dead letters, so a bad record fails alone. */
export type RunHandler = (run: IncomingEvent[], ctx: RunContext) => Promise<void>;

/** What happened to one record; the batch loop commits past it either way. */
export type Outcome = "handled" | "dead-lettered" | "parked" | "skipped" | "released";

/** Hooks for metrics: the consumer counts and times what it does through them. */
export interface ConsumerObserver {
  /** a record finished: handled, dead-lettered, parked, skipped or released */
  record?(o: { group: string; topic: string; outcome: Outcome; durationMs: number }): void;
  /** a batch's handling starts: how long each of its records waited since its producer sent it
   *  (the record's timestamp), which is what the fetch cycle and the runs ahead of it cost */
  waited?(o: { group: string; topic: string; waitedMs: number[] }): void;
  /** the records this member fetched ahead and holds in its partition queues, not yet handed to
   *  a run (consumer/queues.ts), whenever that number changes */
  queued?(o: { group: string; records: number }): void;
  /** a retriable handler failure that will be tried again */
  retry?(o: { group: string; topic: string }): void;
  /** runs around a handler call with the records it handles (a run, or one record on the
   *  record-by-record path with its retries): tracing spans, say; it may replace each record's
   *  `headers.traceparent` with its own context before calling `fn` */
  around?<T>(
    o: { group: string; records: readonly Pick<IncomingEvent, "topic" | "partition" | "offset" | "key" | "headers">[] },
    fn: () => Promise<T>,
  ): Promise<T>;
  /** kafkajs instrumentation events */
  lifecycle?(o: {
    group: string;
    event: "group_join" | "heartbeat" | "commit" | "rebalancing" | "crash" | "stop";
  }): void;
}

export interface EventConsumerOptions {
  groupId: string;
  topics: TopicName[];
  handler: RunHandler;
  runs?: {
    /** the longest run taken from one partition batch; default 100 (1: every record alone) */
    maxRecords?: number;
    /** runs of different partitions that are ready at the same time go to the handler in one
     *  call up to this many records; default 500. If such a call fails, each run is tried alone,
     *  so a bad run still fails alone. */
    maxCombinedRecords?: number;
  };
  /** how a handler's failure is read (outage, retriable or not); default: explicit verdicts
   *  (`RetriableError`, `NonRetriableError`) and network failures only */
  errors?: ErrorClassifier;
  retry?: Partial<RetryPolicy>;
  /** where a new group starts; default true (the whole retained history) */
  fromBeginning?: boolean;
  /** partitions processed in parallel by this member (their runs are combined into one handler
   *  call; with `fetchAhead`, every partition with queued records); order within a partition
   *  always holds. Default 16. */
  partitionsConsumedConcurrently?: number;
  /** Fetch on while runs are applied (ADR 0022): each batch is resolved on receipt and queued in
   *  its partition's queue, so kafkajs does not wait for the run in hand before its next fetch.
   *  Default false: on a broker a millisecond away and two cores it measured no faster (the
   *  serial group-committed run binds a hop, and constant fetching costs CPU); it pays off where
   *  a fetch round trip is long. */
  fetchAhead?: boolean;
  /** with `fetchAhead`, records queued per partition before it is paused until half of them went
   *  to a run. Default 1,000. */
  maxQueuedRecords?: number;
  /** commit at least every N handled records within a batch */
  commitEvery?: number;
  /** keeps a key's later records behind its dead-lettered one (per-key order through failures) */
  parking?: KeyParking;
  observer?: ConsumerObserver;
  /** how long the group waits for a silent member before reassigning its partitions */
  sessionTimeoutMs?: number;
  /** Offset commits run in the background (offset-committer.ts): one that has not settled after
   *  `timeoutMs` (default 30 s) counts as failed; commits failing for `stuckAfterMs` (default
   *  60 s) without a success make the consumer start afresh; a stopping member waits
   *  `stopWaitMs` (default 3 s) at most for its batches and their commits before it leaves the
   *  group (keep it well inside the service's shutdown grace period). */
  commits?: { timeoutMs?: number; stuckAfterMs?: number; stopWaitMs?: number };
  /** Trade freshness for fewer, larger batches: the broker holds a fetch until it has `minBytes`
   *  or `maxWaitMs` passed. Default: answer as soon as there is a record (a saga's hop waits for
   *  nothing), 500 ms when idle. */
  fetch?: { minBytes: number; maxWaitMs: number };
  /** dead letters go to `<topic>.<this group>.dlt` (a temporary group, such as a replay, uses
   *  the dead-letter topics of the group it stands in for); default groupId */
  deadLetterGroup?: string;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** finishes the record in hand, commits what was handled, leaves the group */
  stop(): Promise<void>;
  /** member of its group and not crashed */
  isReady(): boolean;
}
