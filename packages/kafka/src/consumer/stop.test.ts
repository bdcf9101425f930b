import { describe, expect, it } from "vitest";
import { silent } from "../../test/fakes.js";
import { BatchesInFlight, stopMember } from "./stop.js";

function committer(settles: boolean) {
  const calls: string[] = [];
  return {
    calls,
    pending: settles ? 0 : 1,
    drain: async () => (calls.push("drain"), settles),
    forget: () => void calls.push("forget"),
  };
}

describe("stopping a member", () => {
  it("waits for the batches in hand and their commits, then forgets its offsets, leaves and closes the parking", async () => {
    const batches = new BatchesInFlight();
    const order: string[] = [];
    let finish!: () => void;
    void batches.track(new Promise<void>((r) => (finish = r)).then(() => void order.push("batch done")));
    const c = committer(true);
    const stopping = stopMember({
      batches,
      committer: c,
      stopWaitMs: 5_000,
      log: silent,
      disconnect: async () => void order.push("left"),
      closeParking: async () => void order.push("parking closed"),
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    finish();
    await stopping;
    expect(order).toEqual(["batch done", "left", "parking closed"]);
    expect(c.calls).toEqual(["drain", "forget"]);
    expect(batches.size).toBe(0);
  });

  it("leaves after `stopWaitMs` when a batch does not finish, saying so", async () => {
    const batches = new BatchesInFlight();
    void batches.track(new Promise<void>(() => {}));
    const warned: string[] = [];
    const log = { ...silent, warn: (_o: unknown, msg: string) => void warned.push(msg) } as unknown as typeof silent;
    let left = false;
    await stopMember({
      batches,
      committer: committer(true),
      stopWaitMs: 20,
      log,
      disconnect: async () => void (left = true),
    });
    expect(left).toBe(true);
    expect(warned[0]).toMatch(/leaving the group before every handled record's offset commit landed/);
  });

  it("says so when its commits do not land in time", async () => {
    const warned: string[] = [];
    const log = { ...silent, warn: (_o: unknown, msg: string) => void warned.push(msg) } as unknown as typeof silent;
    await stopMember({
      batches: new BatchesInFlight(),
      committer: committer(false),
      stopWaitMs: 20,
      log,
      disconnect: async () => {},
    });
    expect(warned).toHaveLength(1);
  });
});
