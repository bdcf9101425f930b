import type { Consumer, ConsumerConfig } from "kafkajs";
import { describe, expect, it } from "vitest";
import { silent } from "../../test/fakes.js";
import { ConsumerLifecycle, type LifecycleDeps } from "./lifecycle.js";

const EVENTS = {
  GROUP_JOIN: "join",
  HEARTBEAT: "heartbeat",
  COMMIT_OFFSETS: "commit",
  REBALANCING: "rebalancing",
  CRASH: "crash",
  STOP: "stop",
  DISCONNECT: "disconnect",
} as const;

/** a kafkajs consumer that records its calls; `emit` plays its instrumentation events */
class FakeConsumer {
  readonly events = EVENTS;
  readonly calls: string[] = [];
  private readonly listeners = new Map<string, ((e: unknown) => void)[]>();
  constructor(
    readonly config: ConsumerConfig,
    private readonly failRun = false,
  ) {}
  on(event: string, fn: (e: unknown) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return () => {};
  }
  emit(event: string, payload: unknown = {}) {
    for (const fn of this.listeners.get(event) ?? []) fn({ payload });
  }
  async connect() {
    this.calls.push("connect");
  }
  async subscribe(s: { topics: string[] }) {
    this.calls.push(`subscribe ${s.topics.join(",")}`);
  }
  async run(r: { autoCommit: boolean; partitionsConsumedConcurrently: number }) {
    if (this.failRun) throw new Error("broker away");
    this.calls.push(`run autoCommit=${r.autoCommit} concurrently=${r.partitionsConsumedConcurrently}`);
  }
  async disconnect() {
    this.calls.push("disconnect");
  }
}

function setup(over: Partial<LifecycleDeps> & { failRuns?: number } = {}) {
  const made: FakeConsumer[] = [];
  const sleeps: number[] = [];
  const joins: number[] = [];
  const leaves: number[] = [];
  const lifecycleEvents: string[] = [];
  let failRuns = over.failRuns ?? 0;
  const lifecycle = new ConsumerLifecycle({
    create: (config) => {
      // the first consumer starts; restarts fail `failRuns` times
      const c = new FakeConsumer(config, made.length > 0 && failRuns-- > 0);
      made.push(c);
      return c as unknown as Consumer;
    },
    groupId: "env.payment",
    topics: ["env.order-events"],
    group: "payment",
    fromBeginning: true,
    partitionsConsumedConcurrently: 16,
    sessionTimeoutMs: 10_000,
    fetch: { minBytes: 1, maxWaitMs: 500 },
    log: silent,
    observer: { lifecycle: (o) => void lifecycleEvents.push(o.event) },
    eachBatch: async () => {},
    onJoin: () => void joins.push(made.length),
    onLeave: () => void leaves.push(made.length),
    beforeRejoin: async () => {},
    sleep: async (ms) => void sleeps.push(ms),
    ...over,
  });
  return { lifecycle, made, sleeps, joins, leaves, lifecycleEvents };
}

describe("the consumer's lifecycle", () => {
  it("starts a consumer of the group's prefixed topics with manual commits, and is ready once it joined", async () => {
    const s = setup();
    await s.lifecycle.start();
    expect(s.made[0]!.config).toMatchObject({
      groupId: "env.payment",
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      maxWaitTimeInMs: 500,
      minBytes: 1,
    });
    expect(s.made[0]!.calls).toEqual(["connect", "subscribe env.order-events", "run autoCommit=false concurrently=16"]);
    expect(s.lifecycle.isReady()).toBe(false);
    s.made[0]!.emit(EVENTS.GROUP_JOIN, { memberId: "m" });
    expect(s.lifecycle.isReady()).toBe(true);
    expect(s.joins).toEqual([1]);
    s.made[0]!.emit(EVENTS.DISCONNECT);
    expect(s.lifecycle.isReady()).toBe(false);
  });

  it("leaves a crash kafkajs recovers from to kafkajs", async () => {
    const s = setup();
    await s.lifecycle.start();
    s.made[0]!.emit(EVENTS.CRASH, { error: new Error("coordinator loading"), restart: true });
    await new Promise((r) => setImmediate(r));
    expect(s.made).toHaveLength(1);
  });

  it("builds a new consumer after a crash kafkajs gives up on, backing off while restarts fail", async () => {
    const s = setup({ failRuns: 2 });
    await s.lifecycle.start();
    s.made[0]!.emit(EVENTS.GROUP_JOIN, { memberId: "m" });
    s.made[0]!.emit(EVENTS.CRASH, { error: new Error("retries exceeded"), restart: false });
    expect(s.lifecycle.isReady()).toBe(false);
    await s.lifecycle.restart(); // joins the restart in progress
    expect(s.sleeps).toEqual([500, 1_000, 2_000]);
    expect(s.made).toHaveLength(4);
    expect(s.made[0]!.calls.at(-1)).toBe("disconnect");
    expect(s.made[3]!.calls).toEqual(["connect", "subscribe env.order-events", "run autoCommit=false concurrently=16"]);
  });

  it("does not restart a member that is stopping", async () => {
    const s = setup();
    await s.lifecycle.start();
    s.lifecycle.stopping();
    s.made[0]!.emit(EVENTS.CRASH, { error: new Error("x"), restart: false });
    await s.lifecycle.restart();
    expect(s.made).toHaveLength(1);
    expect(s.sleeps).toEqual([]);
  });

  it("reports kafkajs instrumentation events to the observer", async () => {
    const s = setup();
    for (const e of [EVENTS.GROUP_JOIN, EVENTS.HEARTBEAT, EVENTS.COMMIT_OFFSETS, EVENTS.REBALANCING, EVENTS.STOP])
      s.made[0]!.emit(e, {});
    expect(s.lifecycleEvents).toEqual(["group_join", "heartbeat", "commit", "rebalancing", "stop"]);
  });

  it("ends the generation when a rebalance starts, the consumer crashes or stops: records fetched ahead are dropped", async () => {
    const s = setup();
    await s.lifecycle.start();
    s.made[0]!.emit(EVENTS.REBALANCING, {});
    s.made[0]!.emit(EVENTS.CRASH, { error: new Error("x"), restart: true });
    s.made[0]!.emit(EVENTS.STOP, {});
    expect(s.leaves).toEqual([1, 1, 1]);
    s.made[0]!.emit(EVENTS.HEARTBEAT, {});
    expect(s.leaves).toHaveLength(3);
  });
});
