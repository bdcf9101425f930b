import type { EachBatchPayload } from "kafkajs";
import { describe, expect, it } from "vitest";
import { fakeBatch, message, refunded, silent } from "../../test/fakes.js";
import { PartitionQueues } from "./queues.js";
import { BatchesInFlight } from "./stop.js";

type Gate = { open(): void; opened: Promise<void> };
const gate = (): Gate => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
};

/** a kafkajs batch of `offsets` on `partition` that records its pauses and resumes */
function batch(partition: number, offsets: number[], stale = () => false) {
  const p = fakeBatch(
    "env.order-events",
    partition,
    offsets.map((o) => message(o, refunded())),
  );
  const paused: string[] = [];
  Object.assign(p, {
    isStale: stale,
    pause: () => {
      paused.push("pause");
      return () => void paused.push("resume");
    },
  });
  return Object.assign(p, { paused });
}

function setup(handle: (p: EachBatchPayload) => Promise<void>, over: { maxQueuedRecords?: number } = {}) {
  const inFlight = new BatchesInFlight();
  const seeks: string[] = [];
  const sleeps: Gate[] = [];
  const queues = new PartitionQueues({
    handle,
    seek: (topic, partition, offset) => void seeks.push(`${topic}/${partition}@${offset}`),
    inFlight,
    log: silent,
    maxQueuedRecords: over.maxQueuedRecords ?? 1_000,
    sleep: () => {
      const g = gate();
      sleeps.push(g);
      return g.opened;
    },
  });
  return { queues, inFlight, seeks, sleeps };
}

const offsetsOf = (p: EachBatchPayload) => p.batch.messages.map((m) => Number(m.offset));
const settle = () => new Promise((r) => setImmediate(r));

describe("partition queues: fetching on while runs are applied", () => {
  it("resolves a batch at once so kafkajs fetches past it, while its records wait for the run in hand", async () => {
    const handled: number[][] = [];
    const hold = gate();
    const s = setup(async (p) => {
      await hold.opened;
      handled.push(offsetsOf(p));
    });
    const first = batch(0, [1, 2]);
    const second = batch(0, [3, 4]);
    await s.queues.receive(first);
    await s.queues.receive(second);
    // both returned to kafkajs before anything was handled, each resolved to its last record
    expect(handled).toEqual([]);
    expect(first.resolved).toEqual(["2"]);
    expect(second.resolved).toEqual(["4"]);
    // the first batch is in hand; the second waits
    expect(s.queues.queued).toBe(2);
    hold.open();
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(handled).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(s.queues.queued).toBe(0);
  });

  it("hands on what accumulated behind a run as one batch, as one fetch would have brought it", async () => {
    const handled: number[][] = [];
    const hold = gate();
    const s = setup(async (p) => {
      if (handled.length === 0) await hold.opened;
      handled.push(offsetsOf(p));
    });
    for (const offsets of [[1], [2], [3, 4], [5]]) await s.queues.receive(batch(0, offsets));
    hold.open();
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(handled).toEqual([[1], [2, 3, 4, 5]]);
  });

  it("handles partitions side by side, each in its own order", async () => {
    const order: string[] = [];
    const holds = new Map([
      [0, gate()],
      [1, gate()],
    ]);
    const s = setup(async (p) => {
      await holds.get(p.batch.partition)!.opened;
      order.push(`${p.batch.partition}:${offsetsOf(p).join(",")}`);
    });
    await s.queues.receive(batch(0, [1]));
    await s.queues.receive(batch(0, [2]));
    await s.queues.receive(batch(1, [7]));
    // partition 1 is not held up by partition 0's run in hand
    holds.get(1)!.open();
    await settle();
    expect(order).toEqual(["1:7"]);
    holds.get(0)!.open();
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(order).toEqual(["1:7", "0:1", "0:2"]);
  });

  it("pauses a partition whose queue is long and resumes it once half of it went to the handler", async () => {
    const holds = [gate(), gate(), gate()];
    let n = 0;
    const s = setup(() => holds[n++]!.opened, { maxQueuedRecords: 2 });
    const batches = [batch(0, [1, 2, 3]), batch(0, [4, 5]), batch(0, [6])];
    for (const b of batches) await s.queues.receive(b);
    // the first batch in hand, 3 records queued behind it > 2: paused once
    expect(s.queues.queued).toBe(3);
    expect(batches.flatMap((b) => b.paused)).toEqual(["pause"]);
    holds[0]!.open();
    await settle();
    // [4, 5] in hand, 1 record queued <= 1
    expect(batches.flatMap((b) => b.paused)).toEqual(["pause", "resume"]);
    holds[1]!.open();
    holds[2]!.open();
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
  });

  it("drops what it fetched ahead when the generation ends; the batch in hand goes stale and the next generation's batches follow it", async () => {
    const handled: number[][] = [];
    const staleSeen: boolean[] = [];
    const hold = gate();
    const s = setup(async (p) => {
      await hold.opened;
      staleSeen.push(p.isStale());
      handled.push(offsetsOf(p));
    });
    await s.queues.receive(batch(0, [1, 2]));
    await s.queues.receive(batch(0, [3, 4]));
    s.queues.reset();
    expect(s.queues.queued).toBe(0);
    // the new generation reads from the committed offset again
    await s.queues.receive(batch(0, [1, 2, 3, 4]));
    hold.open();
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(handled).toEqual([
      [1, 2],
      [1, 2, 3, 4],
    ]);
    expect(staleSeen).toEqual([true, false]);
  });

  it("ignores a batch fetched before a seek", async () => {
    const handled: number[][] = [];
    const s = setup(async (p) => void handled.push(offsetsOf(p)));
    const stale = batch(0, [5], () => true);
    await s.queues.receive(stale);
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(handled).toEqual([]);
    expect(stale.resolved).toEqual([]);
  });

  it("reads a partition again from its first record not handled when a batch fails, after a pause, and drops the rest of its queue", async () => {
    const handled: number[][] = [];
    const s = setup(async (p) => {
      if (p.batch.messages[0]!.offset === "3") {
        p.resolveOffset("3");
        throw new Error("database away");
      }
      handled.push(offsetsOf(p));
    });
    const failing = batch(0, [3, 4, 5]);
    await s.queues.receive(batch(0, [1, 2]));
    await s.queues.receive(failing);
    await s.queues.receive(batch(0, [6]));
    await settle();
    // paused while it waits, so nothing past the failed record is queued meanwhile
    expect(failing.paused).toEqual(["pause"]);
    expect(s.seeks).toEqual([]);
    s.sleeps[0]!.open();
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(s.seeks).toEqual(["env.order-events/0@4"]);
    expect(failing.paused).toEqual(["pause", "resume"]);
    expect(handled).toEqual([[1, 2]]);
    expect(s.queues.queued).toBe(0);
  });

  it("does not fail a batch whose heartbeat kafkajs refuses while the group rebalances", async () => {
    const s = setup(async (p) => {
      await p.heartbeat();
    });
    const b = batch(0, [1]);
    Object.assign(b, { heartbeat: () => Promise.reject(new Error("The group is rebalancing")) });
    await s.queues.receive(b);
    expect(await s.inFlight.settledWithin(1_000)).toBe(true);
    expect(b.paused, "no failure: not paused, no seek").toEqual([]);
    expect(s.seeks).toEqual([]);
  });
});
