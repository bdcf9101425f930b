// packages/kafka/patches/kafkajs@2.2.4.patch changes two things in kafkajs 2.2.4:
// - it re-armed a 1 ms timer per broker connection forever once a request had been answered
//   (tulios/kafkajs#1751): an idle client spent ~40 ms of CPU a second and Node 24 warns on each
//   process; a check is now scheduled only when one can matter (ADR 0019);
// - `consumer.run({ beforeRejoin })`: awaited in a rebalance before the member rejoins, so the
//   records a consumer fetched ahead and is still applying finish first (ADR 0022).
import { createRequire } from "node:module";
import { describe, expect, it, vi } from "vitest";

const require = createRequire(import.meta.url);
// the request queue is internal to kafkajs; resolve it next to the package this one depends on
const RequestQueue = require(require.resolve("kafkajs/src/network/requestQueue/index.js")) as new (
  o: object,
) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const queue = () =>
  new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, clientId: "t", broker: "b", logger: quiet });

describe("kafkajs request queue (patched)", () => {
  it("arms no timer when nothing is pending and nothing is throttled", () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeFalsy();
    q.destroy();
  });

  it("still checks again when requests wait, or when the broker throttles", () => {
    const waiting = queue();
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).toBeTruthy();
    waiting.destroy();

    const throttled = queue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).toBeTruthy();
    throttled.destroy();
  });
});

const Runner = require(require.resolve("kafkajs/src/consumer/runner.js")) as new (
  o: object,
) => { start(): Promise<void>; stop(): Promise<void> };
const InstrumentationEventEmitter = require(require.resolve("kafkajs/src/instrumentation/emitter.js")) as new () => {
  addListener(event: string, fn: () => void): void;
};
const quietLogger: object = { ...quiet, namespace: () => quietLogger };

describe("kafkajs runner (patched)", () => {
  it("awaits beforeRejoin in a rebalance before the member joins again", async () => {
    const order: string[] = [];
    let fetches = 0;
    const group = {
      groupId: "g",
      memberId: "m",
      connect: async () => {},
      joinAndSync: async () => void order.push("join"),
      getNodeIds: () => [1],
      fetch: async () => {
        if (++fetches === 1)
          throw Object.assign(new Error("The group is rebalancing"), { type: "REBALANCE_IN_PROGRESS" });
        await new Promise((r) => setTimeout(r, 5));
        return [];
      },
      heartbeat: async () => {},
      leave: async () => {},
    };
    const emitter = new InstrumentationEventEmitter();
    emitter.addListener("consumer.rebalancing", () => void order.push("rebalancing"));
    const runner = new Runner({
      logger: quietLogger,
      consumerGroup: group,
      instrumentationEmitter: emitter,
      concurrency: 1,
      eachBatch: async () => {},
      beforeRejoin: async () => {
        order.push("before rejoin");
        await new Promise((r) => setTimeout(r, 20));
        order.push("runs in hand settled");
      },
      heartbeatInterval: 3000,
      onCrash: (e: Error) => void order.push(`crash ${e.message}`),
      retry: { retries: 0 },
    });
    await runner.start();
    await vi.waitFor(() => expect(order.filter((o) => o === "join")).toHaveLength(2), { timeout: 5_000, interval: 5 });
    await runner.stop();
    expect(order).toEqual(["join", "rebalancing", "before rejoin", "runs in hand settled", "join"]);
  });
});
