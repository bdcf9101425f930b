import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import type { SqlExecutor } from "./outbox.js";
import { applyRun, changedStates, walkRun, type RunSpec } from "./run.js";
import type { SqlDatabase } from "./sql.js";
import { sql } from "./statement.js";

const order = (n: number) => `0193a5b0-0000-7000-8000-00000000000${n}`;
let ids = 0;
const src = {
  source: "test",
  clock: () => new Date("2026-01-01T00:00:00.000Z"),
  newId: () => `0193a5b0-0000-7000-8000-0000000001${String(++ids).padStart(2, "0")}`,
};
const cancelled = (orderId: string, id: string): { event: OrderflowEvent; headers: Record<string, string> } => ({
  event: createEvent(
    "OrderCancelled",
    { orderId, reason: "CUSTOMER_REQUESTED" },
    { id, occurredAt: "2026-01-01T00:00:00.000Z", correlationId: `corr-${id}`, causationId: null, source: "order" },
  ),
  headers: { traceparent: `00-trace-${id}-01` },
});

type Counter = { orderId: string; count: number };
const written: { before: number; after: number; outbox: number }[] = [];
/** counts the cancellations of each order; the second one emits a refund */
const spec: RunSpec<ReturnType<typeof cancelled>, Counter, Counter> = {
  group: "g",
  read: (keys) => sql`SELECT * FROM counters WHERE order_id = ANY(${keys}::uuid[])`,
  load: (rows) => new Map(rows.map((r) => [r.orderId, r])),
  step: (state, msg, ctx) => {
    const next = { orderId: msg.event.aggregateId, count: (state?.count ?? 0) + 1 };
    const emitted =
      next.count === 2
        ? [
            ctx.envelope({
              type: "PaymentRefunded",
              data: { orderId: next.orderId, paymentId: next.orderId, amount: 1, currency: "EUR" },
            }),
          ]
        : [];
    return { state: next, emitted, note: { msg: "counted", fields: { count: next.count } } };
  },
  write: async (_tx, c) => void written.push({ before: c.before.size, after: c.after.size, outbox: c.outbox.length }),
};

describe("walkRun", () => {
  it("steps each record over the state its aggregate's previous record left, and envelopes what it emits with the record as cause", () => {
    const before = new Map([[order(1), { orderId: order(1), count: 1 }]]);
    const w = walkRun(
      spec,
      before,
      [cancelled(order(1), order(7)), cancelled(order(2), order(8)), cancelled(order(2), order(9))],
      src,
    );
    expect([...w.changes.after.values()]).toEqual([
      { orderId: order(1), count: 2 },
      { orderId: order(2), count: 2 },
    ]);
    expect(w.changes.before).toBe(before);
    expect(before.get(order(1))!.count).toBe(1); // what was read is left as it was
    expect(
      w.changes.outbox.map((o) => [
        o.eventType,
        o.aggregateId,
        o.headers["causation-id"],
        o.headers["correlation-id"],
        o.headers.traceparent,
      ]),
    ).toEqual([
      ["PaymentRefunded", order(1), order(7), `corr-${order(7)}`, `00-trace-${order(7)}-01`],
      ["PaymentRefunded", order(2), order(9), `corr-${order(9)}`, `00-trace-${order(9)}-01`],
    ]);
    expect((w.changes.outbox[0]!.payload as OrderflowEvent).source).toBe("test");
    expect(w.notes.map((n) => n.note.fields)).toEqual([{ count: 2 }, { count: 1 }, { count: 2 }]);
  });

  it("refuses an event that breaks its contract", () => {
    const bad: typeof spec = {
      ...spec,
      step: (_s, msg, ctx) => ({
        state: undefined,
        emitted: [
          ctx.envelope({
            type: "PaymentRefunded",
            data: { orderId: msg.event.aggregateId, paymentId: "not-a-uuid", amount: -1, currency: "EUR" },
          }),
        ],
      }),
    };
    expect(() => walkRun(bad, new Map(), [cancelled(order(1), order(7))], src)).toThrow();
  });
});

describe("changedStates", () => {
  it("tells new states from changed ones and leaves out those the run did not touch", () => {
    const a = { orderId: "a", count: 1 };
    const b = { orderId: "b", count: 1 };
    const b2 = { orderId: "b", count: 2 };
    const c = { orderId: "c", count: 1 };
    expect(
      changedStates({
        before: new Map([
          ["a", a],
          ["b", b],
        ]),
        after: new Map([
          ["a", a],
          ["b", b2],
          ["c", c],
        ]),
        outbox: [],
      }),
    ).toEqual({ created: [c], changed: [{ before: b, after: b2 }] });
  });
});

describe("applyRun", () => {
  function fakeDb(answer: { fresh: string[] | null; rows: Counter[] | null }) {
    const statements: { text: string; values: unknown[] }[] = [];
    const tx: SqlExecutor = {
      $queryRawUnsafe: async <T>(text: string, ...values: unknown[]) => (
        statements.push({ text, values }), [answer] as T
      ),
      $executeRawUnsafe: async (text: string, ...values: unknown[]) => (statements.push({ text, values }), 0),
    };
    const db = { ...tx, $transaction: async <T>(fn: (tx: SqlExecutor) => PromiseLike<T>) => fn(tx) } as SqlDatabase;
    return { db, statements };
  }
  const logs: string[] = [];
  const logFor = (m: ReturnType<typeof cancelled>) => ({
    info: (_o: object, msg: string) => void logs.push(`${m.event.id} ${msg}`),
    debug: () => {},
  });

  it("records the run and reads its state in one statement, steps the fresh records, writes once, then logs", async () => {
    written.length = 0;
    logs.length = 0;
    const run = [cancelled(order(1), order(7)), cancelled(order(1), order(8))];
    const { db, statements } = fakeDb({ fresh: [order(8)], rows: [{ orderId: order(1), count: 1 }] });
    const changes = await applyRun(db, spec, src, run, logFor);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.text).toContain("state AS (SELECT * FROM counters WHERE order_id = ANY($3::uuid[]))");
    expect(statements[0]!.values).toEqual(["g", [order(7), order(8)], [order(1)]]);
    expect(written).toEqual([{ before: 1, after: 1, outbox: 1 }]);
    expect(changes!.after.get(order(1))).toEqual({ orderId: order(1), count: 2 });
    expect(logs).toEqual([`${order(7)} duplicate event ignored`, `${order(8)} counted`]);
  });

  it("writes nothing when every record was a duplicate", async () => {
    written.length = 0;
    const { db } = fakeDb({ fresh: null, rows: null });
    expect(await applyRun(db, spec, src, [cancelled(order(1), order(7))], logFor)).toBeUndefined();
    expect(written).toEqual([]);
  });
});
