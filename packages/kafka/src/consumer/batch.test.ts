import { HEADERS } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { fakeBatch, fakePublisher, message, refunded, retryDeps, silent } from "../../test/fakes.js";
import { NonRetriableError } from "../errors.js";
import { memoryKeyParking } from "../parking.js";
import type { PartitionOffset } from "../offset-committer.js";
import { blockedKeysOf, PartitionBatch, type BatchDeps } from "./batch.js";
import { DeadLetters } from "./dead-letters.js";
import { RecordPath } from "./record-path.js";
import { Runs } from "./runs.js";
import type { Outcome, RunHandler } from "./types.js";

function setup(handler: RunHandler, over: Partial<BatchDeps> = {}) {
  const retries = retryDeps(handler, {
    policy: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2, maxTotalMs: 10_000 },
  });
  const publisher = fakePublisher();
  const commits: PartitionOffset[] = [];
  const outcomes: Outcome[] = [];
  let drained = 0;
  const deps: BatchDeps = {
    group: "g",
    logical: (t) => t.replace(/^env\./, ""),
    runs: new Runs({ log: silent, retries, maxCombinedRecords: 500 }),
    recordPath: new RecordPath({
      group: "g",
      log: silent,
      deadLetters: new DeadLetters({ publisher, group: "g" }),
      retries,
    }),
    committer: { commit: (o) => void commits.push(o), drain: async () => (drained++, true) },
    observer: { record: (o) => void outcomes.push(o.outcome) },
    commitEvery: 100,
    maxRunRecords: 100,
    stopWaitMs: 10,
    stopped: () => false,
    ...over,
  };
  return { deps, commits, outcomes, publisher, drained: () => drained };
}

describe("a partition batch", () => {
  it("hands its plain records to the handler as one run, then commits past the last", async () => {
    const runs: number[] = [];
    const s = setup(async (run) => void runs.push(run.length));
    const p = fakeBatch(
      "env.payment-events",
      3,
      [1, 2, 3].map((o) => message(o, refunded())),
    );
    await new PartitionBatch(s.deps, p).handle();
    expect(runs).toEqual([3]);
    expect(p.resolved).toEqual(["1", "2", "3"]);
    expect(s.outcomes).toEqual(["handled", "handled", "handled"]);
    expect(s.commits).toEqual([{ topic: "env.payment-events", partition: 3, offset: "4" }]);
  });

  it("tells the observer how long each record waited between its send and its batch's start", async () => {
    const waited: { group: string; topic: string; waitedMs: number[] }[] = [];
    const s = setup(async () => {}, { observer: { waited: (o) => void waited.push(o) } });
    const sentAt = Date.now() - 40;
    const p = fakeBatch(
      "env.payment-events",
      0,
      [1, 2].map((o) => ({ ...message(o, refunded()), timestamp: String(sentAt + o * 10) })),
    );
    await new PartitionBatch(s.deps, p).handle();
    expect(waited).toHaveLength(1);
    expect(waited[0]!.group).toBe("g");
    expect(waited[0]!.topic).toBe("payment-events");
    const [first, second] = waited[0]!.waitedMs as [number, number];
    expect(first - second).toBe(10);
    expect(first).toBeGreaterThanOrEqual(30);
    expect(first).toBeLessThan(30 + 5_000);
  });

  it("cuts runs at their longest and sends an unusual record alone, in order", async () => {
    const runs: number[] = [];
    const s = setup(async (run) => void runs.push(run.length), { maxRunRecords: 2 });
    const msgs = [
      message(1, refunded()),
      message(2, refunded()),
      message(3, refunded()),
      message(4, "not json"),
      message(5, refunded()),
    ];
    const p = fakeBatch("env.payment-events", 0, msgs);
    await new PartitionBatch(s.deps, p).handle();
    expect(runs).toEqual([2, 1, 1]);
    expect(s.outcomes).toEqual(["handled", "handled", "handled", "dead-lettered", "handled"]);
    expect(p.resolved).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("handles a failed run again record by record, so only the bad record is dead-lettered", async () => {
    const bad = refunded();
    const calls: number[] = [];
    const s = setup(async (run) => {
      calls.push(run.length);
      if (run.some((m) => m.event.id === bad.id)) throw new NonRetriableError("bad");
    });
    const p = fakeBatch("env.payment-events", 0, [message(1, refunded()), message(2, bad), message(3, refunded())]);
    await new PartitionBatch(s.deps, p).handle();
    expect(calls).toEqual([3, 1, 1, 1]);
    expect(s.outcomes).toEqual(["handled", "dead-lettered", "handled"]);
    expect(s.publisher.sent.map((r) => r.headers["dlt-attempts"])).toEqual(["1"]);
  });

  it("counts a failed run of one as the record's first attempt", async () => {
    let calls = 0;
    const s = setup(async () => {
      calls++;
      throw new NonRetriableError("bad");
    });
    await new PartitionBatch(s.deps, fakeBatch("env.payment-events", 0, [message(1, refunded())])).handle();
    expect(calls).toBe(1);
    expect(s.outcomes).toEqual(["dead-lettered"]);
  });
});

describe("a partition batch's commits and parking lookups", () => {
  it("commits every N records within a batch", async () => {
    const s = setup(async () => {}, { commitEvery: 2, maxRunRecords: 1 });
    await new PartitionBatch(
      s.deps,
      fakeBatch(
        "env.payment-events",
        0,
        [1, 2, 3].map((o) => message(o, refunded())),
      ),
    ).handle();
    expect(s.commits.map((c) => c.offset)).toEqual(["3", "4"]);
  });

  it("stops at the record in hand when the consumer stops, commits what was handled and waits for the commits", async () => {
    let stopped = false;
    const s = setup(async () => void (stopped = true), { maxRunRecords: 1, stopped: () => stopped });
    const p = fakeBatch(
      "env.payment-events",
      0,
      [1, 2, 3].map((o) => message(o, refunded())),
    );
    await new PartitionBatch(s.deps, p).handle();
    expect(p.resolved).toEqual(["1"]);
    expect(s.commits.map((c) => c.offset)).toEqual(["2"]);
    expect(s.drained()).toBe(1);
  });

  it("looks up its keys' parking once, with other batches' lookups", async () => {
    const parking = memoryKeyParking();
    const e = refunded();
    parking.entries.set(e.aggregateId, { topic: "payment-events", partition: 0, offset: "0", redriveId: null });
    let lookups = 0;
    const blockedKeys = blockedKeysOf({ ...parking, blocked: (keys) => (lookups++, parking.blocked(keys)) });
    const s = setup(async () => {}, { blockedKeys });
    await Promise.all([
      new PartitionBatch(s.deps, fakeBatch("env.payment-events", 0, [message(1, e)])).handle(),
      new PartitionBatch(
        s.deps,
        fakeBatch("env.payment-events", 1, [message(1, refunded(), { headers: { [HEADERS.correlationId]: "c" } })]),
      ).handle(),
    ]);
    expect(lookups).toBe(1);
    expect(s.outcomes.sort()).toEqual(["handled", "parked"]);
  });
});
