// The kafkajs consumer under a member: start, readiness, and a new consumer (with backoff) when
// kafkajs gives up on its own.
import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload } from "kafkajs";
import type { Logger } from "pino";
import { settledWithin } from "../retry.js";
import type { ConsumerObserver } from "./types.js";

export interface LifecycleDeps {
  /** makes a kafkajs consumer (the client's, or a fake in tests) */
  create(config: ConsumerConfig): Consumer;
  /** the group and topic names with the environment's prefix */
  groupId: string;
  topics: string[];
  /** the group's name for logs and observers */
  group: string;
  fromBeginning: boolean;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  fetch: { minBytes: number; maxWaitMs: number };
  log: Logger;
  observer?: ConsumerObserver | undefined;
  eachBatch(p: EachBatchPayload): Promise<void>;
  /** a new generation joined: it reads from the committed offsets again */
  onJoin(): void;
  /** the generation ends: a rebalance starts, or the consumer crashed or stopped */
  onLeave(): void;
  /** awaited before the member rejoins in a rebalance (patched into kafkajs: its runner waits
   *  for its own batches in hand, not for records fetched ahead and still being applied) */
  beforeRejoin(): Promise<void>;
  /** waits between restarts; default a timer */
  sleep?: (ms: number) => Promise<void>;
}

const LIFECYCLE_EVENTS = [
  ["GROUP_JOIN", "group_join"],
  ["HEARTBEAT", "heartbeat"],
  ["COMMIT_OFFSETS", "commit"],
  ["REBALANCING", "rebalancing"],
  ["CRASH", "crash"],
  ["STOP", "stop"],
] as const;

export class ConsumerLifecycle {
  private ready = false;
  private stopped = false;
  private restarting: Promise<void> | undefined;
  /** the kafkajs consumer of the moment: a restart replaces it */
  consumer: Consumer;

  constructor(private readonly deps: LifecycleDeps) {
    this.consumer = this.make();
  }

  isReady(): boolean {
    return this.ready;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.run(this.consumer);
  }

  /** no restarts from now on: the member is leaving */
  stopping(): void {
    this.stopped = true;
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
    this.ready = false;
  }

  /** A new consumer (new connections, a new member) after a backoff, tried until one starts or
   *  the member stops; concurrent calls share one restart. */
  restart(): Promise<void> {
    this.ready = false;
    this.restarting ??= this.restartLoop().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  private async restartLoop(): Promise<void> {
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 1; !this.stopped; attempt++) {
      await sleep(Math.min(10_000, 500 * 2 ** (attempt - 1)));
      if (this.stopped) return;
      // a client that is stuck may not finish disconnecting either: it is left behind after 10 s
      await settledWithin(this.consumer.disconnect(), 10_000);
      this.consumer = this.make();
      try {
        await this.run(this.consumer);
        this.deps.log.info({ attempt }, "consumer restarted");
        return;
      } catch (err) {
        this.deps.log.warn({ err, attempt }, "consumer restart failed; trying again");
      }
    }
  }

  private async run(c: Consumer): Promise<void> {
    const d = this.deps;
    await c.connect();
    await c.subscribe({ topics: d.topics, fromBeginning: d.fromBeginning });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: d.partitionsConsumedConcurrently,
      eachBatch: d.eachBatch,
      beforeRejoin: d.beforeRejoin,
    } as ConsumerRunConfig);
  }

  // kafkajs restarts a crashed consumer only when it deems the error retriable; a broker that
  // was away for a while ends in a "non-retriable" KafkaJSNumberOfRetriesExceeded wrapper and the
  // consumer would stay dead. Then a new consumer is built and started.
  private make(): Consumer {
    const d = this.deps;
    const c = d.create({
      groupId: d.groupId,
      allowAutoTopicCreation: false,
      // a member that died is noticed (and its partitions reassigned) within the session timeout;
      // handlers are short transactions and heartbeat between records and while backing off
      sessionTimeout: d.sessionTimeoutMs,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: d.fetch.maxWaitMs,
      minBytes: d.fetch.minBytes,
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      this.ready = true;
      d.onJoin();
      d.log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, "joined consumer group");
    });
    c.on(c.events.CRASH, (e) => {
      this.ready = false;
      d.onLeave();
      const restartsItself = e.payload.restart;
      // a crash kafkajs recovers from by itself (a coordinator still loading at start-up, a
      // broker restart) is a warning; one that needs a new consumer is an error
      const fields = {
        errorClass: e.payload.error?.name,
        errorMessage: e.payload.error?.message,
        restart: restartsItself,
      };
      if (restartsItself) d.log.warn(fields, "consumer crashed; kafkajs restarts it");
      else d.log.error({ ...fields, err: e.payload.error }, "consumer crashed; starting a new one");
      if (!restartsItself && !this.stopped) void this.restart();
    });
    c.on(c.events.STOP, () => {
      this.ready = false;
      d.onLeave();
    });
    c.on(c.events.DISCONNECT, () => (this.ready = false));
    c.on(c.events.REBALANCING, () => {
      d.onLeave();
      d.log.info("rebalancing");
    });
    const lifecycle = d.observer?.lifecycle;
    if (lifecycle)
      for (const [e, event] of LIFECYCLE_EVENTS) c.on(c.events[e], () => lifecycle({ group: d.group, event }));
    return c;
  }
}
