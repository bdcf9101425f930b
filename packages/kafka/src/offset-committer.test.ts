import { describe, expect, it, vi } from "vitest";
import { CommitTimeoutError, OffsetCommitter, type PartitionOffset } from "./offset-committer.js";

const at = (partition: number, offset: number): PartitionOffset => ({ topic: "t", partition, offset: String(offset) });
const tick = () => new Promise((r) => setImmediate(r));

function committer(
  send: (o: PartitionOffset[]) => Promise<void>,
  opts: { timeoutMs?: number; stuckAfterMs?: number; retryAfterMs?: number; now?: () => number } = {},
) {
  const failures: unknown[] = [];
  const stuck: number[] = [];
  const c = new OffsetCommitter(send, {
    timeoutMs: opts.timeoutMs ?? 1_000,
    stuckAfterMs: opts.stuckAfterMs ?? 60_000,
    retryAfterMs: opts.retryAfterMs ?? 60_000,
    onFailure: (e) => failures.push(e),
    onStuck: (ms) => stuck.push(ms),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { c, failures, stuck };
}

describe("OffsetCommitter", () => {
  it("sends what arrives while a commit is in flight in one call, the latest offset of each partition", async () => {
    const calls: PartitionOffset[][] = [];
    let release!: () => void;
    const { c } = committer(async (o) => {
      calls.push(o);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
    });
    c.commit(at(0, 10));
    await tick();
    c.commit(at(0, 20));
    c.commit(at(1, 5));
    c.commit(at(0, 15)); // older than 20: a late batch of the same partition never moves it back
    release();
    expect(await c.drain(1_000)).toBe(true);
    expect(calls).toEqual([[at(0, 10)], [at(0, 20), at(1, 5)]]);
  });

  it("gives up on a commit that does not settle, and later commits still go out", async () => {
    const calls: PartitionOffset[][] = [];
    const { c, failures } = committer(
      async (o) => {
        calls.push(o);
        if (calls.length === 1) await new Promise(() => {}); // a request that never comes back
      },
      { timeoutMs: 50 },
    );
    c.commit(at(0, 10));
    await tick();
    c.commit(at(0, 11));
    expect(await c.drain(2_000)).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(CommitTimeoutError);
    expect(calls).toEqual([[at(0, 10)], [at(0, 11)]]);
  });

  it("says the consumer is stuck when commits have failed for stuckAfterMs with no success between, then waits as long again", async () => {
    let now = 0;
    let ok = false;
    const { c, failures, stuck } = committer(
      async () => {
        if (!ok) throw new Error("The coordinator is not aware of this member");
      },
      { stuckAfterMs: 60_000, now: () => now },
    );
    const commitAt = async (t: number) => {
      now = t;
      c.commit(at(0, t));
      await c.drain(1_000);
    };
    await commitAt(0);
    await commitAt(30_000);
    expect(stuck).toEqual([]);
    await commitAt(60_000);
    expect(stuck).toEqual([60_000]);
    await commitAt(61_000); // the count starts again
    expect(stuck).toEqual([60_000]);
    ok = true;
    await commitAt(200_000); // a success clears it
    ok = false;
    await commitAt(210_000);
    await commitAt(260_000);
    expect(stuck).toEqual([60_000]);
    expect(failures).toHaveLength(6);
  });

  it("sends a failed offset again until it lands, though no later record comes to carry it", async () => {
    const calls: PartitionOffset[][] = [];
    const { c, failures } = committer(
      async (o) => {
        calls.push(o);
        if (calls.length <= 2) throw new Error("This is not the correct coordinator for this group");
      },
      { retryAfterMs: 5 },
    );
    c.commit(at(0, 10));
    c.commit(at(1, 7));
    await vi.waitFor(() => expect(calls.length).toBeGreaterThanOrEqual(3));
    await c.drain(1_000);
    expect(failures).toHaveLength(4); // two offsets, two failed calls
    expect(calls.at(-1)).toEqual([at(0, 10), at(1, 7)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(3); // landed: nothing more to send
  });

  it("keeps retrying while commits fail, so a burst's last offsets reach onStuck; forget() drops them", async () => {
    let now = 0;
    const calls: PartitionOffset[][] = [];
    const { c, stuck } = committer(
      async (o) => {
        calls.push(o);
        now += 20_000;
        throw new Error("This is not the correct coordinator for this group");
      },
      { retryAfterMs: 1, now: () => now },
    );
    c.commit(at(0, 10));
    await vi.waitFor(() => expect(stuck[0]).toBe(60_000));
    c.forget();
    await c.drain(1_000);
    const sent = calls.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(sent);
  });

  it("does not send an offset again once a later one of its partition landed", async () => {
    const calls: PartitionOffset[][] = [];
    const { c } = committer(
      async (o) => {
        calls.push(o);
        if (calls.length === 1) throw new Error("timeout");
      },
      { retryAfterMs: 10 },
    );
    c.commit(at(0, 10));
    await c.drain(1_000);
    c.commit(at(0, 12));
    await c.drain(1_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual([[at(0, 10)], [at(0, 12)]]);
  });

  it("drain waits at most maxWaitMs for a commit in flight", async () => {
    const { c } = committer(() => new Promise(() => {}), { timeoutMs: 10_000 });
    c.commit(at(0, 1));
    expect(await c.drain(50)).toBe(false);
    expect(c.pending).toBe(1);
  });
});
