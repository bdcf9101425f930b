import { describe, expect, it } from "vitest";
import { coalesce, groupCommit } from "./coalesce.js";

/** a call that stays in flight until released */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("coalesce (group commit)", () => {
  it("runs a lone item at once, and gathers what arrives while a call is in flight into the next call", async () => {
    const calls: number[][] = [];
    const first = gate();
    const run = coalesce<number, string>(async (items) => {
      calls.push(items);
      if (calls.length === 1) await first.opened;
      return items.map((i) => `done ${i}`);
    });
    const a = run(1);
    await new Promise((r) => setImmediate(r)); // the first call has started
    const rest = [run(2), run(3), run(4)];
    first.open();
    expect(await Promise.all([a, ...rest])).toEqual(["done 1", "done 2", "done 3", "done 4"]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  it("starts items submitted in the same turn of the event loop together", async () => {
    const calls: number[][] = [];
    const run = coalesce<number, void>(async (items) => {
      calls.push(items);
      return items.map(() => undefined);
    });
    await Promise.all([run(1), run(2), run(3)]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it("keeps a call within the weight limit, an item heavier than the limit going alone", async () => {
    const calls: number[][] = [];
    const run = coalesce<number, void>(
      async (items) => {
        calls.push(items);
        return items.map(() => undefined);
      },
      { maxWeight: 5, weight: (n) => n },
    );
    await Promise.all([run(2), run(3), run(1), run(9), run(4)]);
    expect(calls).toEqual([[2, 3], [1], [9], [4]]);
  });

  it("rejects every item of a failed call and goes on with the next", async () => {
    const first = gate();
    let n = 0;
    const run = coalesce<string, string>(async (items) => {
      if (n++ === 0) {
        await first.opened;
        throw new Error("boom");
      }
      return items;
    });
    const a = run("a");
    await new Promise((r) => setImmediate(r));
    const b = run("b");
    first.open();
    await expect(a).rejects.toThrow("boom");
    expect(await b).toBe("b");
  });

  it("groupCommit: a failed combined call is tried item by item, so only the bad item fails; a shared failure fails them all at once", async () => {
    const calls: string[][] = [];
    const run = groupCommit<string>(
      async (items) => {
        calls.push(items);
        if (items.includes("down")) throw Object.assign(new Error("database away"), { shared: true });
        if (items.includes("bad")) throw new Error("bad item");
      },
      { shared: (e) => (e as { shared?: boolean }).shared === true },
    );
    const r = await Promise.allSettled([run("a"), run("bad"), run("c")]);
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(calls).toEqual([["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
    calls.length = 0;
    const down = await Promise.allSettled([run("x"), run("down")]);
    expect(down.map((x) => x.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toEqual([["x", "down"]]);
  });

  it("groupCommit: each item gets its own answer from the combined call, and from its retry alone", async () => {
    const run = groupCommit<string, string>(
      async (items) => {
        if (items.length > 1 && items.includes("bad")) throw new Error("bad item");
        return items.map((i) => i.toUpperCase());
      },
      { shared: () => false },
    );
    expect(await Promise.all([run("a"), run("b")])).toEqual(["A", "B"]);
    const r = await Promise.allSettled([run("c"), run("bad")]);
    expect(r).toEqual([
      { status: "fulfilled", value: "C" },
      { status: "fulfilled", value: "BAD" },
    ]);
  });
});
