// The consume loop: decode → validate against the contract → handle (with retries) → commit.
// An offset is committed only once its record was handled or safely dead-lettered.
import { decodeEvent, HEADERS, type OrderflowEvent, type TopicName } from "@orderflow/contracts";
import type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import type { Logger } from "pino";
import type { KafkaClient } from "./client.js";
import { coalesce, groupCommit } from "@orderflow/batching";
import { deadLetterRecord, type Failure, type SourceRecord } from "./dead-letter.js";
import { errorClass, errorMessage, isOutage, isRetriable } from "./errors.js";
import type { Publisher } from "./publisher.js";
import type { KeyParking, ParkedAt } from "./parking.js";
import { OffsetCommitter } from "./offset-committer.js";
import { headersToStrings } from "./records.js";
import { backoffDelay, DEFAULT_RETRY, settledWithin, waitWithHeartbeat, type RetryPolicy } from "./retry.js";

export interface IncomingEvent {
  event: OrderflowEvent;
  topic: TopicName;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface HandlerContext {
  log: Logger;
  heartbeat(): Promise<void>;
  /** 1 for the first try */
  attempt: number;
}

export type EventHandler = (msg: IncomingEvent, ctx: HandlerContext) => Promise<void>;

/** Hooks for metrics: the consumer counts and times what it does through them. */
export interface ConsumerObserver {
  /** a record finished: handled, dead-lettered, parked, skipped or released */
  record?(o: { group: string; topic: string; outcome: Outcome; durationMs: number }): void;
  /** a retriable handler failure that will be tried again */
  retry?(o: { group: string; topic: string }): void;
  /** runs around a record's handling (retries included): a tracing span, say; it may replace
   *  `headers.traceparent` with its own context before calling `fn` */
  around?<T>(o: { group: string; topic: string; headers: Record<string, string> }, fn: () => Promise<T>): Promise<T>;
  /** kafkajs instrumentation events */
  lifecycle?(o: { group: string; event: "group_join" | "heartbeat" | "commit" | "rebalancing" | "crash" | "stop" }): void;
}

export interface EventConsumerOptions {
  groupId: string;
  topics: TopicName[];
  handler: EventHandler;
  retry?: Partial<RetryPolicy>;
  /** where a new group starts; default true (the whole retained history) */
  fromBeginning?: boolean;
  /** partitions processed in parallel by this member; order within a partition always holds.
   *  Default 16 with a batch handler (their runs are combined into one transaction), else 3. */
  partitionsConsumedConcurrently?: number;
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
  /** Handles a run of consecutive, well-formed records of one partition at once, all or nothing
   *  (one database transaction for the run instead of one per record). When it throws, the run
   *  is handled again record by record through `handler`, with its retries and dead letters, so
   *  a bad record fails alone. */
  batchHandler?: {
    handle(events: IncomingEvent[], ctx: BatchContext): Promise<void>;
    /** the longest run taken from one partition batch; default 100 */
    maxRecords?: number;
    /** Runs of different partitions that are ready at the same time are handled in one call
     *  (group commit: one transaction for all of them) up to this many records; default 500. If
     *  such a combined call fails, each run is tried alone, so a bad run still fails alone. The
     *  handler must therefore accept records of several partitions (and topics) at once. */
    maxCombinedRecords?: number;
  };
}

export interface BatchContext {
  log: Logger;
  logFor(event: IncomingEvent): Logger;
  heartbeat(): Promise<void>;
}

export interface EventConsumer {
  start(): Promise<void>;
  /** finishes the record in hand, commits what was handled, leaves the group */
  stop(): Promise<void>;
  /** member of its group and not crashed */
  isReady(): boolean;
}

/** What happened to one record; the batch loop commits past it either way. */
export type Outcome = "handled" | "dead-lettered" | "parked" | "skipped" | "released";

class Aborted extends Error {}

interface BatchIo {
  heartbeat(): Promise<void>;
  keepGoing(): boolean;
}

export function createEventConsumer(client: KafkaClient, publisher: Publisher, opts: EventConsumerOptions): EventConsumer {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const log = client.logger.child({ consumerGroup: opts.groupId });
  let ready = false;
  let stopped = false;
  const obs = opts.observer;

  // kafkajs restarts a crashed consumer only when it deems the error retriable; a broker that
  // was away for a while ends in a "non-retriable" KafkaJSNumberOfRetriesExceeded wrapper and the
  // consumer would stay dead. Then this runner builds a new consumer and starts it again.
  function makeConsumer(): Consumer {
    const c = client.kafka.consumer({
      // the prefix isolates groups too: members of different environments never share a group
      groupId: client.physical(opts.groupId),
      allowAutoTopicCreation: false,
      // a member that died is noticed (and its partitions reassigned) within 10 s; handlers are
      // short transactions and heartbeat between records and while backing off
      sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: opts.fetch?.maxWaitMs ?? 500,
      minBytes: opts.fetch?.minBytes ?? 1,
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      ready = true;
      // a new generation reads from the committed offsets again: offsets owed from before are its to commit
      committer.forget();
      log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, "joined consumer group");
    });
    c.on(c.events.CRASH, (e) => {
      ready = false;
      const restartsItself = e.payload.restart;
      // a crash kafkajs recovers from by itself (a coordinator still loading at start-up, a
      // broker restart) is a warning; one that needs a new consumer is an error
      const fields = { errorClass: e.payload.error?.name, errorMessage: e.payload.error?.message, restart: restartsItself };
      if (restartsItself) log.warn(fields, "consumer crashed; kafkajs restarts it");
      else log.error({ ...fields, err: e.payload.error }, "consumer crashed; starting a new one");
      if (!restartsItself && !stopped) void restart();
    });
    c.on(c.events.STOP, () => (ready = false));
    c.on(c.events.DISCONNECT, () => (ready = false));
    c.on(c.events.REBALANCING, () => log.info("rebalancing"));
    if (obs?.lifecycle) {
      const group = opts.groupId;
      const map = [
        [c.events.GROUP_JOIN, "group_join"],
        [c.events.HEARTBEAT, "heartbeat"],
        [c.events.COMMIT_OFFSETS, "commit"],
        [c.events.REBALANCING, "rebalancing"],
        [c.events.CRASH, "crash"],
        [c.events.STOP, "stop"],
      ] as const;
      for (const [e, name] of map) c.on(e, () => obs.lifecycle!({ group, event: name }));
    }
    return c;
  }

  let consumer = makeConsumer();

  // Group commit of what the partition batches in flight each need: their runs' transactions,
  // their parking lookups (coalesce.ts) and their offset commits (offset-committer.ts).
  type Run = { events: IncomingEvent[]; ctx: BatchContext };
  const bh = opts.batchHandler;
  // a combined call that fails is tried run by run, so only a bad run goes record by record; an
  // outage reaches every run, which waits it out
  const handleRun = bh
    ? groupCommit<Run>(
        async (runs) => {
          if (runs.length === 1) return bh.handle(runs[0]!.events, runs[0]!.ctx);
          const owner = new Map<IncomingEvent, Run>();
          for (const r of runs) for (const e of r.events) owner.set(e, r);
          const events = runs.flatMap((r) => r.events);
          await bh.handle(events, { log: log.child({ runs: runs.length, records: events.length }), logFor: (e) => owner.get(e)!.ctx.logFor(e), heartbeat: runs[0]!.ctx.heartbeat });
        },
        { shared: isOutage, maxWeight: bh.maxCombinedRecords ?? 500, weight: (r) => r.events.length },
      )
    : undefined;
  const parking = opts.parking;
  const blockedKeys = parking
    ? coalesce<string[], Map<string, ParkedAt>>(async (lists) => {
        const found = await parking.blocked([...new Set(lists.flat())]);
        return lists.map((keys) => new Map(keys.flatMap((k) => (found.has(k) ? [[k, found.get(k)!] as const] : []))));
      })
    : undefined;
  const stopWaitMs = opts.commits?.stopWaitMs ?? 3_000;
  const committer = new OffsetCommitter((offsets) => consumer.commitOffsets(offsets), {
    timeoutMs: opts.commits?.timeoutMs ?? 30_000,
    stuckAfterMs: opts.commits?.stuckAfterMs ?? 60_000,
    onFailure: (err, o) =>
      log.warn({ topic: client.logical(o.topic), partition: o.partition, offset: o.offset, errorClass: errorClass(err), errorMessage: errorMessage(err) }, "offset commit failed; the records after the last committed offset will be redelivered (the inbox drops them)"),
    onStuck: (failingForMs) => {
      if (stopped) return;
      // the kafkajs client no longer gets a commit through (a stuck request, a member the group
      // no longer knows): new connections and a new member, as after a crash
      log.error({ failingForMs }, "offset commits failing for a minute while records are handled; starting a new consumer");
      ready = false;
      void restart();
    },
  });

  async function run(c: Consumer): Promise<void> {
    await c.connect();
    await c.subscribe({ topics: opts.topics.map((t) => client.physical(t)), fromBeginning: opts.fromBeginning ?? true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? (opts.batchHandler ? 16 : 3),
      eachBatch,
    });
  }

  let restarting: Promise<void> | undefined;
  function restart(): Promise<void> {
    restarting ??= restartLoop().finally(() => (restarting = undefined));
    return restarting;
  }
  async function restartLoop(): Promise<void> {
    for (let attempt = 1; !stopped; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** (attempt - 1))));
      if (stopped) return;
      const old = consumer;
      // a client that is stuck may not finish disconnecting either: it is left behind after 10 s
      await settledWithin(old.disconnect(), 10_000);
      consumer = makeConsumer();
      try {
        await run(consumer);
        log.info({ attempt }, "consumer restarted");
        return;
      } catch (err) {
        log.warn({ err, attempt }, "consumer restart failed; trying again");
      }
    }
  }

  /** Publish the dead letter, retrying (and heartbeating) until it is acknowledged: until then
   *  the source offset is not committed. Stopping abandons it uncommitted, for the next owner. */
  async function deadLetter(src: SourceRecord, f: Failure, recordLog: Logger, io: BatchIo): Promise<void> {
    const record = deadLetterRecord(src, opts.deadLetterGroup ?? opts.groupId, f);
    for (let attempt = 1; ; attempt++) {
      try {
        await publisher.send([record]);
        break;
      } catch (err) {
        if (attempt === 1) recordLog.error({ err, dlt: record.topic }, "dead-letter publish failed; not committing, retrying");
        const delay = Math.min(5_000, 200 * 2 ** (attempt - 1));
        if (!(await waitWithHeartbeat(delay, io.heartbeat, io.keepGoing))) throw new Aborted();
      }
    }
    recordLog.warn({ errorClass: f.errorClass, errorMessage: f.errorMessage, attempts: f.attempts, dlt: record.topic }, "record dead-lettered");
  }

  /** Dead-letter a record that failed; its key is parked first, so a crash in between leaves
   *  the key parked behind a record that comes back (and is recognised as the head). */
  async function fail(src: SourceRecord, f: Failure, recordLog: Logger, io: BatchIo, blocked: Map<string, ParkedAt>, redriveId: string | null): Promise<Outcome> {
    const key = src.key?.toString("utf8");
    if (key && opts.parking) {
      const at: ParkedAt = { topic: src.topic, partition: src.partition, offset: src.offset, redriveId };
      await opts.parking.block(key, at);
      blocked.set(key, at);
    }
    await deadLetter(src, f, recordLog, io);
    return "dead-lettered";
  }

  /** redrive targeting → release → parking → decode → validate → handle with retries →
   *  (dead-letter); throws Aborted when stopping */
  async function processRecord(topic: TopicName, partition: number, m: KafkaMessage, io: BatchIo, blocked: Map<string, ParkedAt>): Promise<Outcome> {
    const { heartbeat, keepGoing } = io;
    const src: SourceRecord = { topic, partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headers as Record<string, unknown> };
    const headers = headersToStrings(m.headers as Record<string, unknown>);
    const target = headers[HEADERS.redriveGroup];
    if (target && target !== opts.groupId) return "skipped"; // redriven for another group
    const redriveId = target ? (headers[HEADERS.redriveId] ?? "") : null;
    const key = m.key ? m.key.toString("utf8") : undefined;
    const recordLog0 = log.child({ topic, partition, offset: m.offset, key, eventId: headers[HEADERS.eventId], correlationId: headers[HEADERS.correlationId], ...(redriveId ? { redriveId } : {}) });

    if (headers[HEADERS.control] === "release-key") {
      if (key && redriveId !== null && opts.parking) {
        const released = await opts.parking.release(key, redriveId);
        if (released) blocked.delete(key);
        recordLog0.info({ released }, released ? "key released after redrive" : "key stays parked: its head failed again during the redrive");
      }
      return "released";
    }

    const parkedBehind = key ? blocked.get(key) : undefined;
    const isHead = parkedBehind && parkedBehind.topic === topic && parkedBehind.partition === partition && parkedBehind.offset === m.offset;
    // a live record waits behind the key's failure; a redriven one passes unless its own
    // redrive's head just failed again
    if (parkedBehind && !isHead && (redriveId === null || parkedBehind.redriveId === redriveId)) {
      const now = new Date();
      await deadLetter(src, { errorClass: "ParkedBehindFailure", errorMessage: `parked behind ${parkedBehind.topic}/${parkedBehind.partition}@${parkedBehind.offset}: an earlier record of key ${key} failed in group ${opts.groupId}`, attempts: 0, firstFailureAt: now, lastFailureAt: now }, recordLog0, io);
      return "parked";
    }

    const decoded = decodeEvent(m.value, topic);
    if (!decoded.ok) {
      const now = new Date();
      return fail(src, { errorClass: decoded.reason === "undecodable" ? "UndecodableRecord" : decoded.reason === "unknown-type" ? "UnknownEventType" : "InvalidEvent", errorMessage: decoded.message, attempts: 1, firstFailureAt: now, lastFailureAt: now }, recordLog0, io, blocked, redriveId);
    }
    const event = decoded.event;
    const recordLog = recordLog0.child({ eventType: event.type });
    const incoming: IncomingEvent = { event, topic, partition, offset: m.offset, key: m.key ? m.key.toString("utf8") : null, headers, timestamp: m.timestamp };
    const handleWithRetries = async (): Promise<Outcome> => {
      let firstFailureAt: Date | undefined;
      let outageWaits = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          await opts.handler(incoming, { log: recordLog, heartbeat, attempt });
          if (outageWaits > 0) recordLog.info({ outageWaits }, "dependency back; record handled");
          return "handled";
        } catch (err) {
          if (isOutage(err)) {
            // the database (or another dependency) is away: the record is not at fault
            attempt--;
            await waitOutOutage(++outageWaits, err, recordLog, topic, io);
            continue;
          }
          const now = new Date();
          firstFailureAt ??= now;
          const retriable = isRetriable(err);
          const delay = backoffDelay(attempt, policy);
          const outOfTime = now.getTime() - firstFailureAt.getTime() + delay > policy.maxTotalMs;
          if (!retriable || attempt >= policy.maxAttempts || outOfTime) {
            recordLog.error({ err, attempts: attempt, retriable }, "handler failed; dead-lettering");
            return fail(src, { errorClass: errorClass(err), errorMessage: errorMessage(err), attempts: attempt, firstFailureAt, lastFailureAt: now }, recordLog, io, blocked, redriveId);
          }
          recordLog.warn({ errorClass: errorClass(err), errorMessage: errorMessage(err), attempt, retryInMs: delay }, "handler failed; retrying");
          obs?.retry?.({ group: opts.groupId, topic });
          if (!(await waitWithHeartbeat(delay, heartbeat, keepGoing))) throw new Aborted();
        }
      }
    };
    return obs?.around ? obs.around({ group: opts.groupId, topic, headers }, handleWithRetries) : handleWithRetries();
  }

  /** One wait of a dependency outage: the record (or run) stays uncommitted and the member keeps
   *  heartbeating, with capped exponential backoff, for as long as the outage lasts. */
  async function waitOutOutage(waits: number, err: unknown, where: Logger, topic: TopicName, io: BatchIo): Promise<void> {
    if (waits === 1) where.warn({ errorClass: errorClass(err), errorMessage: errorMessage(err) }, "dependency unavailable; waiting for it without dead-lettering");
    obs?.retry?.({ group: opts.groupId, topic });
    const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(waits - 1, 16));
    if (!(await waitWithHeartbeat(delay, io.heartbeat, io.keepGoing))) throw new Aborted();
  }

  /** the record decoded, when nothing about it needs the one-by-one path */
  function plainRecord(topic: TopicName, partition: number, m: KafkaMessage, blocked: Map<string, ParkedAt>): IncomingEvent | undefined {
    const headers = headersToStrings(m.headers as Record<string, unknown>);
    if (headers[HEADERS.redriveGroup] || headers[HEADERS.control]) return undefined;
    const key = m.key ? m.key.toString("utf8") : undefined;
    if (key && blocked.has(key)) return undefined;
    const decoded = decodeEvent(m.value, topic);
    if (!decoded.ok) return undefined;
    return { event: decoded.event, topic, partition, offset: m.offset, key: key ?? null, headers, timestamp: m.timestamp };
  }

  /** The batch handler over a run; false when it failed for a reason other than an outage (the
   *  caller then handles the run record by record). An outage is waited out as for one record. */
  async function runBatch(topic: TopicName, events: IncomingEvent[], io: BatchIo): Promise<boolean> {
    const batchLog = log.child({ topic, partition: events[0]!.partition, fromOffset: events[0]!.offset, toOffset: events.at(-1)!.offset, records: events.length });
    // each event's lines carry the same ids as on the one-by-one path
    const logFor = (e: IncomingEvent) => log.child({ topic, partition: e.partition, offset: e.offset, key: e.key ?? undefined, eventId: e.headers[HEADERS.eventId], correlationId: e.headers[HEADERS.correlationId], eventType: e.event.type });
    for (let waits = 0; ; ) {
      try {
        await handleRun!({ events, ctx: { log: batchLog, logFor, heartbeat: io.heartbeat } });
        return true;
      } catch (err) {
        if (!isOutage(err)) {
          batchLog.warn({ errorClass: errorClass(err), errorMessage: errorMessage(err) }, "batch failed; handling its records one by one");
          return false;
        }
        await waitOutOutage(++waits, err, batchLog, topic, io);
      }
    }
  }

  // the partition batches being handled: a member that stops lets them finish the record in hand
  // and commit while it is still in the group (kafkajs drops a commit made once it is stopping)
  const batchesInFlight = new Set<Promise<void>>();
  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const work = handleBatch(p);
    batchesInFlight.add(work);
    try {
      await work;
    } finally {
      batchesInFlight.delete(work);
    }
  }

  async function handleBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const topic = client.logical(batch.topic) as TopicName;
    const keepGoing = () => !stopped && p.isRunning() && !p.isStale();
    const commitEvery = opts.commitEvery ?? 100;
    let pending: string | undefined;
    // in the background: the next fetch need not wait for the commit's round trip
    // (offset-committer.ts); stop() waits a moment for those in flight
    const commit = () => {
      if (pending === undefined) return;
      const offset = (BigInt(pending) + 1n).toString();
      pending = undefined;
      committer.commit({ topic: batch.topic, partition: batch.partition, offset });
    };
    let sinceCommit = 0;
    const keys = [...new Set(batch.messages.flatMap((m) => (m.key ? [m.key.toString("utf8")] : [])))];
    const blocked = blockedKeys && keys.length ? await blockedKeys(keys) : new Map<string, ParkedAt>();
    const io = { heartbeat: p.heartbeat, keepGoing };
    const one = async (m: KafkaMessage) => {
      const started = performance.now();
      const outcome = await processRecord(topic, batch.partition, m, io, blocked);
      obs?.record?.({ group: opts.groupId, topic, outcome, durationMs: performance.now() - started });
      done(m);
    };
    const done = (m: KafkaMessage) => {
      p.resolveOffset(m.offset);
      pending = m.offset;
      if (++sinceCommit >= commitEvery) {
        commit();
        sinceCommit = 0;
      }
    };
    // a run of plain records goes to the batch handler in one call; anything unusual (a
    // redrive, a control record, a parked key, a record that does not decode) goes alone
    let run: { m: KafkaMessage; e: IncomingEvent }[] = [];
    const flush = async () => {
      if (run.length === 0) return;
      const chunk = run;
      run = [];
      const started = performance.now();
      if (!(await runBatch(topic, chunk.map((c) => c.e), io))) {
        for (const c of chunk) {
          if (!keepGoing()) throw new Aborted();
          await one(c.m);
        }
        return;
      }
      const each = (performance.now() - started) / chunk.length;
      for (const c of chunk) {
        obs?.record?.({ group: opts.groupId, topic, outcome: "handled", durationMs: each });
        done(c.m);
      }
      await p.heartbeat();
    };
    try {
      for (const m of batch.messages) {
        if (!keepGoing()) break;
        const plain = opts.batchHandler ? plainRecord(topic, batch.partition, m, blocked) : undefined;
        if (plain) {
          run.push({ m, e: plain });
          if (run.length >= (opts.batchHandler!.maxRecords ?? 100)) await flush();
          continue;
        }
        await flush();
        await one(m);
        await p.heartbeat();
      }
      if (keepGoing()) await flush();
    } catch (e) {
      if (!(e instanceof Aborted)) {
        commit();
        throw e;
      }
    }
    commit();
    // leaving the group (stop, shutdown): its commits land before kafkajs leaves, or they would be refused
    if (stopped || !p.isRunning()) await committer.drain(stopWaitMs);
  }

  return {
    async start() {
      stopped = false;
      await run(consumer);
    },
    async stop() {
      stopped = true;
      // the batches in hand finish their record and commit what they handled, then those commits
      // land, all while this member still owns its partitions. What does not land in time is
      // redelivered to the next member, whose inbox drops it: better than a shutdown that
      // outlasts its grace period.
      const deadline = Date.now() + stopWaitMs;
      const batchesDone = await settledWithin(Promise.all(batchesInFlight), stopWaitMs);
      if (!batchesDone || !(await committer.drain(Math.max(0, deadline - Date.now())))) {
        log.warn({ batchesInFlight: batchesInFlight.size, commitsUnsettled: committer.pending, waitedMs: stopWaitMs }, "leaving the group before every handled record's offset commit landed; those records will be redelivered (the inbox drops them)");
      }
      committer.forget();
      await consumer.disconnect();
      await opts.parking?.close?.();
      ready = false;
    },
    isReady: () => ready,
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
