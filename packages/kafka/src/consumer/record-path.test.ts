import { HEADERS } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { ECONNREFUSED, fakePublisher, io, message, refunded, retryDeps, silent } from "../../test/fakes.js";
import { NonRetriableError, RetriableError } from "../errors.js";
import { memoryKeyParking, type ParkedAt } from "../parking.js";
import { DeadLetters } from "./dead-letters.js";
import { RecordPath } from "./record-path.js";
import type { ConsumerObserver, IncomingEvent, RunHandler } from "./types.js";

const O1 = "0b8c6f1e-0000-4000-8000-000000000001";

function path(handler: RunHandler, opts: { observer?: ConsumerObserver } = {}) {
  const publisher = fakePublisher();
  const parking = memoryKeyParking();
  const retries = retryDeps(handler, { observer: opts.observer });
  const p = new RecordPath({
    group: "g",
    log: silent,
    parking,
    deadLetters: new DeadLetters({ publisher, group: "g", parking }),
    retries,
  });
  const blocked = new Map<string, ParkedAt>();
  const process = (m: ReturnType<typeof message>, firstFailure?: { err: unknown }) =>
    p.process("payment-events", 2, m, io(), blocked, firstFailure);
  return { process, publisher, parking, blocked };
}

describe("the record path: routing, parking, decoding", () => {
  it("hands a well-formed record to the handler as a run of one", async () => {
    const seen: IncomingEvent[][] = [];
    const { process } = path(async (run) => void seen.push(run));
    const e = refunded();
    expect(await process(message(7, e))).toBe("handled");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject([
      { event: { id: e.id }, topic: "payment-events", partition: 2, offset: "7", key: e.aggregateId },
    ]);
  });

  it("skips a record redriven for another group", async () => {
    const { process, publisher } = path(async () => expect.fail("not for this group"));
    expect(await process(message(1, refunded(), { headers: { [HEADERS.redriveGroup]: "other" } }))).toBe("skipped");
    expect(publisher.sent).toEqual([]);
  });

  it("dead-letters an undecodable record at once and parks its key; the key's later records are parked behind it", async () => {
    const { process, publisher, parking, blocked } = path(async () => {});
    expect(await process(message(3, "not json", { key: O1 }))).toBe("dead-lettered");
    expect(publisher.sent[0]!.headers).toMatchObject({
      "dlt-error-class": "UndecodableRecord",
      "dlt-attempts": "1",
      "dlt-original-offset": "3",
    });
    expect(parking.entries.get(O1)).toEqual({ topic: "payment-events", partition: 2, offset: "3", redriveId: null });
    expect(blocked.has(O1)).toBe(true);
    expect(await process(message(4, refunded(O1), { key: O1 }))).toBe("parked");
    expect(publisher.sent[1]!.headers).toMatchObject({ "dlt-error-class": "ParkedBehindFailure", "dlt-attempts": "0" });
    expect(publisher.sent[1]!.headers["dlt-error-message"]).toMatch(/parked behind payment-events\/2@3/);
  });

  it("lets a redriven record pass its key's parking, and the redrive's control record release the key", async () => {
    const { process, parking, blocked } = path(async () => {});
    blocked.set(O1, { topic: "payment-events", partition: 2, offset: "3", redriveId: null });
    parking.entries.set(O1, blocked.get(O1)!);
    const redriven = { [HEADERS.redriveGroup]: "g", [HEADERS.redriveId]: "r1" };
    expect(await process(message(9, refunded(O1), { key: O1, headers: redriven }))).toBe("handled");
    expect(
      await process(message(10, "", { key: O1, headers: { ...redriven, [HEADERS.control]: "release-key" } })),
    ).toBe("released");
    expect(blocked.has(O1)).toBe(false);
    expect(parking.entries.has(O1)).toBe(false);
  });
});

describe("the record path: handling with retries, outage waits and dead letters", () => {
  it("retries a retriable failure and dead-letters after the last attempt, with its count", async () => {
    let calls = 0;
    const retried: string[] = [];
    const { process, publisher } = path(
      async () => {
        calls++;
        throw new RetriableError("conflict");
      },
      { observer: { retry: (o) => void retried.push(o.topic) } },
    );
    expect(await process(message(5, refunded()))).toBe("dead-lettered");
    expect(calls).toBe(3);
    expect(retried).toEqual(["payment-events", "payment-events"]);
    expect(publisher.sent[0]!.headers).toMatchObject({ "dlt-error-class": "RetriableError", "dlt-attempts": "3" });
  });

  it("dead-letters a non-retriable failure at once", async () => {
    let calls = 0;
    const { process, publisher } = path(async () => {
      calls++;
      throw new NonRetriableError("bad rule");
    });
    expect(await process(message(5, refunded()))).toBe("dead-lettered");
    expect(calls).toBe(1);
    expect(publisher.sent[0]!.headers).toMatchObject({
      "dlt-error-class": "NonRetriableError",
      "dlt-error-message": "bad rule",
      "dlt-attempts": "1",
    });
  });

  it("waits out an outage without spending the record's attempts", async () => {
    let calls = 0;
    const { process } = path(async () => {
      if (++calls <= 5) throw ECONNREFUSED(); // more waits than the policy has attempts
    });
    expect(await process(message(5, refunded()))).toBe("handled");
    expect(calls).toBe(6);
  });

  it("goes on from the second attempt when the first was made already (a run of one that failed)", async () => {
    let calls = 0;
    const { process, publisher } = path(async () => {
      calls++;
      throw new RetriableError("still failing");
    });
    expect(await process(message(5, refunded()), { err: new RetriableError("first") })).toBe("dead-lettered");
    expect(calls).toBe(2);
    expect(publisher.sent[0]!.headers).toMatchObject({ "dlt-attempts": "3" });
    const once = path(async () => expect.fail("a non-retriable first failure is final"));
    expect(await once.process(message(6, refunded()), { err: new NonRetriableError("bad") })).toBe("dead-lettered");
    expect(once.publisher.sent[0]!.headers).toMatchObject({ "dlt-attempts": "1", "dlt-error-message": "bad" });
  });

  it("runs the handling inside the observer's `around`, with the record's headers", async () => {
    const around: string[] = [];
    const e = refunded();
    const { process } = path(async () => void around.push("handler"), {
      observer: {
        around: async (o, fn) => {
          around.push(`around ${o.records.map((r) => `${r.headers[HEADERS.eventId]}@${r.partition}/${r.offset}`)}`);
          return fn();
        },
      },
    });
    await process(message(1, e));
    expect(around).toEqual([`around ${e.id}@2/1`, "handler"]);
  });
});
