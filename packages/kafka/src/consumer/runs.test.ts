import { HEADERS } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { ECONNREFUSED, io, message, refunded, retryDeps, silent } from "../../test/fakes.js";
import { NonRetriableError } from "../errors.js";
import type { ParkedAt } from "../parking.js";
import { plainRecord, Runs } from "./runs.js";
import type { IncomingEvent, RunHandler } from "./types.js";

const O1 = "0b8c6f1e-0000-4000-8000-000000000001";

const incoming = (partition: number, offset: number): IncomingEvent =>
  plainRecord("payment-events", partition, message(offset, refunded()), new Map())!;
const runs = (handler: RunHandler, maxCombinedRecords = 500) =>
  new Runs({ log: silent, retries: retryDeps(handler), maxCombinedRecords });

describe("plainRecord", () => {
  const none = new Map<string, ParkedAt>();
  it("decodes a record that needs nothing special", () => {
    const e = refunded();
    expect(plainRecord("payment-events", 0, message(3, e), none)).toMatchObject({
      event: { id: e.id },
      offset: "3",
      key: e.aggregateId,
    });
  });
  it("leaves redriven, control, parked and malformed records to the record path", () => {
    const e = refunded(O1);
    expect(
      plainRecord("payment-events", 0, message(1, e, { headers: { [HEADERS.redriveGroup]: "g" } }), none),
    ).toBeUndefined();
    expect(
      plainRecord("payment-events", 0, message(1, e, { headers: { [HEADERS.control]: "release-key" } }), none),
    ).toBeUndefined();
    expect(
      plainRecord(
        "payment-events",
        0,
        message(1, e, { key: O1 }),
        new Map([[O1, { topic: "t", partition: 0, offset: "0", redriveId: null }]]),
      ),
    ).toBeUndefined();
    expect(plainRecord("payment-events", 0, message(1, "not json"), none)).toBeUndefined();
    expect(plainRecord("order-events", 0, message(1, e), none)).toBeUndefined(); // not an event of that topic
  });
});

describe("runs", () => {
  it("of partitions ready at the same time share one handler call, each event keeping its own log", async () => {
    const calls: IncomingEvent[][] = [];
    const r = runs(async (events, ctx) => {
      calls.push(events);
      for (const e of events) expect(ctx.logFor(e)).toBeDefined();
    });
    const a = [incoming(0, 1), incoming(0, 2)];
    const b = [incoming(1, 7)];
    expect(await Promise.all([r.handle("payment-events", a, io()), r.handle("payment-events", b, io())])).toEqual([
      { ok: true },
      { ok: true },
    ]);
    expect(calls).toEqual([[...a, ...b]]);
  });

  it("are tried alone when a combined call fails, so only the bad run fails", async () => {
    const bad = incoming(1, 9);
    const calls: number[] = [];
    const r = runs(async (events) => {
      calls.push(events.length);
      if (events.includes(bad)) throw new NonRetriableError("bad");
    });
    const results = await Promise.all([
      r.handle("payment-events", [incoming(0, 1), incoming(0, 2)], io()),
      r.handle("payment-events", [bad], io()),
    ]);
    expect(results[0]).toEqual({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, err: expect.any(NonRetriableError) });
    expect(calls).toEqual([3, 2, 1]);
  });

  it("combine no more records than allowed", async () => {
    const calls: number[] = [];
    const r = runs(async (events) => void calls.push(events.length), 2);
    await Promise.all([0, 1, 2].map((p) => r.handle("payment-events", [incoming(p, 1)], io())));
    expect(calls).toEqual([2, 1]);
  });

  it("run inside the observer's `around` with every record of the call, which may hand the handler new headers", async () => {
    const seen: string[] = [];
    const r = new Runs({
      log: silent,
      retries: retryDeps(async (events) => void seen.push(...events.map((e) => e.headers.traceparent!)), {
        observer: {
          around: async (o, fn) => {
            for (const rec of o.records) rec.headers.traceparent = `${o.group} ${rec.partition}/${rec.offset}`;
            return fn();
          },
        },
      }),
      maxCombinedRecords: 500,
    });
    await Promise.all([
      r.handle("payment-events", [incoming(0, 1), incoming(0, 2)], io()),
      r.handle("payment-events", [incoming(1, 7)], io()),
    ]);
    expect(seen).toEqual(["g 0/1", "g 0/2", "g 1/7"]);
  });

  it("wait out an outage and are then handled", async () => {
    let calls = 0;
    const r = runs(async () => {
      if (++calls < 4) throw ECONNREFUSED();
    });
    expect(await r.handle("payment-events", [incoming(0, 1)], io())).toEqual({ ok: true });
    expect(calls).toBe(4);
  });
});
