// kafkajs 2.2.4 re-arms a 1 ms timer per broker connection forever once a request has been answered
// (tulios/kafkajs#1751): an idle client spent ~40 ms of CPU a second and Node 24 warns on each
// process. packages/kafka/patches/kafkajs@2.2.4.patch schedules a check only when one can matter.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

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
