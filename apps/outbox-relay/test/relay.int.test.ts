// The relay on the real broker and PostgreSQL, in both modes: order, headers, NOTIFY, two
// replicas, out-of-order commits; and the poll mode's marks running beside its selects.
import { randomUUID } from "node:crypto";
import { readTopic } from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRelay, type Relay, type RelayMode } from "../src/relay/relay.js";
import { cancelledShipment, poll, reasons, relayFixture } from "./fixture.js";

const db = relayFixture("relay_int");
const kafka = db.kafka;
const log = pino({ level: "silent" });
const relays: Relay[] = [];
const insert: typeof db.insert = (events, client) => db.insert(events, client);
const recordsFor: typeof db.recordsFor = (ids, n) => db.recordsFor(ids, n);
const unpublished = () => db.unpublished();

function startRelay(pollIntervalMs: number, mode: RelayMode = "poll"): Relay {
  const r = createRelay({
    databases: [{ name: "test", url: db.url }],
    publisher: db.publisher,
    log,
    mode,
    slotPrefix: `${db.slotPrefix}_${mode}`,
    batchSize: 3,
    pollIntervalMs,
    retentionMs: 3_600_000,
    cleanupIntervalMs: 3_600_000,
  });
  r.start();
  relays.push(r);
  return r;
}

const stopAll = async () => {
  for (const r of relays.splice(0)) await r.stop();
};

beforeAll(() => db.setUp());

afterAll(async () => {
  await stopAll();
  await db.tearDown();
});

describe.each(["poll", "wal"] as const)("outbox relay in %s mode", (mode) => {
  beforeAll(stopAll);

  it("publishes pending rows in order per key with their headers, and marks or deletes them", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const events = [1, 2, 3, 4].flatMap((n) => [cancelledShipment(a, n), cancelledShipment(b, n)]);
    await insert(events);
    startRelay(200, mode);
    const rs = await recordsFor([a, b], 8);
    expect(reasons(rs, a)).toEqual(["step 1", "step 2", "step 3", "step 4"]);
    expect(reasons(rs, b)).toEqual(["step 1", "step 2", "step 3", "step 4"]);
    expect(rs[0]!.headers).toMatchObject({
      "event-type": "ShipmentCancelled",
      "correlation-id": expect.stringMatching(/^corr-/),
      "event-id": expect.any(String),
    });
    await vi.waitFor(async () => expect(await unpublished(), "rows marked published or cleaned up").toBe(0), poll);
  });

  it("wakes on NOTIFY, not on its (long) poll interval, and two replicas publish each row once", async () => {
    await stopAll();
    const [first, second] = [startRelay(60_000, mode), startRelay(60_000, mode)];
    await vi.waitFor(
      async () =>
        expect((await first.status())[0]!.leader || (await second.status())[0]!.leader, "a leader").toBe(true),
      poll,
    );
    const id = randomUUID();
    const started = Date.now();
    await insert([1, 2, 3, 4, 5].map((n) => cancelledShipment(id, n)));
    await recordsFor([id], 5);
    expect(Date.now() - started).toBeLessThan(15_000);
    await vi.waitFor(async () => expect(await unpublished(), "rows marked published or cleaned up").toBe(0), poll);
    // a marker behind them on the same partition: everything published before it is in front of it
    await insert([cancelledShipment(id, 99)]);
    const keys = new Set<string>([id]);
    const all = await readTopic(kafka, "shipping-events", {
      until: (rs) => rs.some((r) => r.key === id && r.value?.toString().includes("step 99")),
      timeoutMs: 20_000,
    });
    expect(
      reasons(
        all.filter((r) => keys.has(r.key ?? "")),
        id,
      ),
    ).toEqual(["step 1", "step 2", "step 3", "step 4", "step 5", "step 99"]);
    const leaders = [(await first.status())[0]!.leader, (await second.status())[0]!.leader];
    expect(leaders.filter(Boolean)).toHaveLength(1);
  });

  it("publishes rows committed out of id order", async () => {
    const [x, y] = [randomUUID(), randomUUID()];
    const early = await db.pool.connect();
    const late = await db.pool.connect();
    try {
      await early.query("BEGIN");
      await insert([cancelledShipment(x, 1)], early); // takes the lower id, commits last
      await late.query("BEGIN");
      await insert([cancelledShipment(y, 1)], late);
      await late.query("COMMIT");
      await recordsFor([y], 1);
      await early.query("COMMIT");
    } finally {
      early.release();
      late.release();
    }
    const rs = await recordsFor([x, y], 2);
    expect(rs.map((r) => r.key).sort()).toEqual([x, y].sort());
    await vi.waitFor(async () => expect(await unpublished(), "all rows marked or cleaned up").toBe(0), poll);
  });
});

describe("outbox relay in poll mode", () => {
  beforeAll(async () => {
    await stopAll();
    startRelay(200);
  });

  it("goes on publishing while a batch's mark is stuck, without sending that batch again", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await insert([1, 2].map((n) => cancelledShipment(a, n)));
    const ids = (await db.pool.query<{ id: string }>("SELECT id FROM outbox WHERE key = $1", [a])).rows.map(
      (r) => r.id,
    );
    // a transaction holding a's rows: the relay reads them (a plain SELECT does not wait), sends
    // them, and its UPDATE marking them waits for this lock
    const holder = await db.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM outbox WHERE id = ANY($1::bigint[]) FOR UPDATE", [ids]);
      expect(reasons(await recordsFor([a], 2), a)).toEqual(["step 1", "step 2"]);
      await vi.waitFor(
        async () =>
          expect(
            Number(
              (
                await db.pool.query(
                  "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE outbox SET published_at%'",
                )
              ).rows[0].n,
            ),
            "the mark to wait for the lock",
          ).toBeGreaterThan(0),
        poll,
      );
      // rows committed meanwhile go out at once, and a's rows are not read and sent again
      await insert([1, 2].map((n) => cancelledShipment(b, n)));
      expect(reasons(await recordsFor([b], 2), b)).toEqual(["step 1", "step 2"]);
      expect(await unpublished()).toBe(4); // a's mark still waits
      await holder.query("COMMIT");
    } finally {
      holder.release();
    }
    await vi.waitFor(async () => expect(await unpublished(), "all rows marked").toBe(0), poll);
    // markers behind them on the same partitions: every copy sent before them is read
    await insert([cancelledShipment(a, 99), cancelledShipment(b, 99)]);
    const rs = await readTopic(kafka, "shipping-events", {
      until: (all) => [a, b].every((k) => all.some((r) => r.key === k && r.value?.toString().includes("step 99"))),
      timeoutMs: 20_000,
    });
    expect(reasons(rs, a)).toEqual(["step 1", "step 2", "step 99"]);
    expect(reasons(rs, b)).toEqual(["step 1", "step 2", "step 99"]);
  });
});
