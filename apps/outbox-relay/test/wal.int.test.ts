// The relay's wal mode on the real broker and PostgreSQL: commit order, restarts, the slot
// confirmed only behind the broker's acknowledgements, a lost slot, a standby, keepalives, and
// the outbox cleaned up behind the slot.
import { randomUUID } from "node:crypto";
import { type OutgoingRecord, type Publisher, type RawRecord, readTopic } from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRelay, type Relay, type RelayOptions, slotName } from "../src/relay/relay.js";
import { cancelledShipment, poll, reasons, relayFixture } from "./fixture.js";

const db = relayFixture("relay_wal");
const slot = () => slotName(db.slotPrefix, "test");
const logLines: string[] = [];
const log = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const relays: Relay[] = [];

function startRelay(opts: Partial<RelayOptions> & { url?: string } = {}): Relay {
  const { url = db.url, ...rest } = opts;
  const r = createRelay({
    databases: [{ name: "test", url }],
    publisher: db.publisher,
    log,
    mode: "wal",
    slotPrefix: db.slotPrefix,
    batchSize: 50,
    pollIntervalMs: 300,
    retentionMs: 3_600_000,
    cleanupIntervalMs: 3_600_000,
    ...rest,
  });
  r.start();
  relays.push(r);
  return r;
}

async function stop(r: Relay): Promise<void> {
  relays.splice(relays.indexOf(r), 1);
  await r.stop();
}

const stopAll = async () => {
  for (const r of relays.splice(0)) await r.stop();
};

/** each in its own transaction, one after another */
async function insertEach(orderId: string, steps: number[]): Promise<void> {
  for (const n of steps) await db.insert([cancelledShipment(orderId, n)]);
}

/** first copies in the order they were published, and how many copies came twice */
function deduped(rs: RawRecord[], orderId: string): { steps: string[]; duplicates: number } {
  const all = reasons(rs, orderId);
  const steps = [...new Set(all)];
  return { steps, duplicates: all.length - steps.length };
}

/** the records of `orderId` once `n` different steps arrived (duplicates aside) */
async function stepsOf(orderId: string, n: number): Promise<{ steps: string[]; duplicates: number }> {
  const rs = await readTopic(db.kafka, "shipping-events", {
    until: (all) => new Set(reasons(all, orderId)).size >= n,
    timeoutMs: 20_000,
  });
  return deduped(rs, orderId);
}

const stepsUpTo = (n: number) => Array.from({ length: n }, (_, i) => `step ${i + 1}`);

const slotRow = async () =>
  (
    await db.pool.query<{ active_pid: number | null; confirmed: string }>(
      "SELECT active_pid, confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1",
      [slot()],
    )
  ).rows[0];

/** a publisher whose next `failures` sends fail before reaching the broker */
function failingPublisher(failures: number): Publisher & { failed: number } {
  const p = {
    failed: 0,
    connect: () => db.publisher.connect(),
    disconnect: async () => {},
    isConnected: () => db.publisher.isConnected(),
    send: async (records: OutgoingRecord[]) => {
      if (p.failed < failures) {
        p.failed++;
        throw new Error("broker unavailable (test)");
      }
      return db.publisher.send(records);
    },
  };
  return p;
}

beforeAll(() => db.setUp());

afterAll(async () => {
  await stopAll();
  await db.tearDown();
  await db.admin((c) => c.query(`DROP ROLE IF EXISTS "${replicationRole}"`));
});

/** a role of this file's own with what relay_replication has: REPLICATION, SELECT and DELETE on the outbox */
const replicationRole = `${db.dbName}_repl`;

describe("outbox relay in wal mode", () => {
  it("publishes transactions in commit order per key, not in id order", async () => {
    startRelay();
    await vi.waitFor(async () => expect((await slotRow())?.active_pid, "the slot read").toBeTruthy(), poll);
    const [x, y] = [randomUUID(), randomUUID()];
    const early = await db.pool.connect();
    const late = await db.pool.connect();
    try {
      await early.query("BEGIN");
      await db.insert([cancelledShipment(x, 2)], early); // the lower id, committed second
      await late.query("BEGIN");
      await db.insert([cancelledShipment(x, 1), cancelledShipment(y, 1)], late);
      await late.query("COMMIT");
      await early.query("COMMIT");
    } finally {
      early.release();
      late.release();
    }
    await Promise.all([insertEach(x, [3, 4, 5, 6, 7, 8]), insertEach(y, [2, 3, 4, 5, 6, 7, 8])]);
    const rs = await db.recordsFor([x, y], 16);
    expect(reasons(rs, x)).toEqual(stepsUpTo(8));
    expect(reasons(rs, y)).toEqual(stepsUpTo(8));
  });

  it("resumes from the slot after a restart mid-stream: rows written while it was down are not skipped", async () => {
    await stopAll();
    let sent = 0;
    const first = startRelay({ onBatch: (_db, records) => void (sent += records.length) });
    const k = randomUUID();
    const writing = insertEach(
      k,
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    await vi.waitFor(() => expect(sent, "some rows sent before the restart").toBeGreaterThanOrEqual(10), poll);
    await stop(first);
    await writing;
    await insertEach(k, [61, 62, 63, 64, 65]); // while no relay reads the slot
    startRelay();
    const { steps, duplicates } = await stepsOf(k, 65);
    expect(steps).toEqual(stepsUpTo(65));
    expect(duplicates, "a graceful restart confirms what it sent").toBe(0);
  });

  it("confirms nothing before the broker acknowledged it: failed sends are read again from the slot", async () => {
    await stopAll();
    const failing = failingPublisher(2);
    startRelay({ publisher: failing });
    await vi.waitFor(async () => expect((await slotRow())?.active_pid, "the slot read").toBeTruthy(), poll);
    const k = randomUUID();
    await insertEach(k, [1, 2, 3]);
    const { steps, duplicates } = await stepsOf(k, 3);
    expect(failing.failed).toBe(2);
    expect(steps).toEqual(stepsUpTo(3));
    expect(duplicates).toBe(0);
  });

  it("sends again, after a crash between the broker's acknowledgement and the confirmation", async () => {
    await stopAll();
    let crashes = 0;
    startRelay({
      afterPublish: () => {
        if (crashes++ === 0) throw new Error("crash before confirming (test)");
      },
    });
    const k = randomUUID();
    await db.insert([1, 2, 3].map((n) => cancelledShipment(k, n)));
    const rs = await db.recordsFor([k], 6);
    // the batch went out twice, in order both times: a duplicate consumers drop by event id
    expect(reasons(rs, k)).toEqual([...stepsUpTo(3), ...stepsUpTo(3)]);
  });

  it("recreates a slot an operator dropped, and republishes the rows it had not confirmed", async () => {
    await stopAll();
    const running = startRelay();
    const k = randomUUID();
    await insertEach(k, [1]);
    await db.recordsFor([k], 1);
    // the operator ends the reader and drops the slot (retried: the relay reconnects)
    await vi.waitFor(async () => {
      await db.admin((c) =>
        c.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1", [slot()]),
      );
      await db.admin((c) => c.query("SELECT pg_drop_replication_slot($1)", [slot()]));
    }, poll);
    await vi.waitFor(
      () => expect(logLines.some((l) => l.includes(`replication slot ${slot()} is gone`))).toBe(true),
      poll,
    );
    await insertEach(k, [2]);
    expect((await stepsOf(k, 2)).steps).toEqual(stepsUpTo(2));

    // rows the slot had sent nowhere when it was dropped: published from the table
    await stop(running);
    await insertEach(k, [3, 4]);
    await db.admin((c) => c.query("SELECT pg_drop_replication_slot($1)", [slot()]));
    startRelay();
    expect((await stepsOf(k, 4)).steps).toEqual(stepsUpTo(4));
  });

  it("keeps a second relay standing by on the slot, which takes over when the first stops", async () => {
    await stopAll();
    const [a, b] = [startRelay(), startRelay()];
    const leaderOf = async () => [(await a.status())[0]!.leader, (await b.status())[0]!.leader];
    await vi.waitFor(async () => expect((await leaderOf()).filter(Boolean)).toHaveLength(1), poll);
    const k = randomUUID();
    await insertEach(k, [1, 2]);
    await db.recordsFor([k], 2);
    const [leader, standby] = (await leaderOf())[0] ? [a, b] : [b, a];
    await stop(leader);
    await vi.waitFor(async () => expect((await standby.status())[0]!.leader).toBe(true), poll);
    await insertEach(k, [3, 4]);
    expect((await stepsOf(k, 4)).steps).toEqual(stepsUpTo(4));
  });

  it("answers keepalives, and confirms WAL that holds none of its rows so an idle slot holds none", async () => {
    await stopAll();
    // the server drops a reader that does not answer within a second
    const url = new URL(db.url);
    url.searchParams.set("options", "-c wal_sender_timeout=1000");
    startRelay({ url: url.toString() });
    await vi.waitFor(async () => expect((await slotRow())?.active_pid).toBeTruthy(), poll);
    const reader = (await slotRow())!.active_pid;
    await db.pool.query("CREATE TABLE IF NOT EXISTS unrelated (n int)");
    await db.pool.query("INSERT INTO unrelated SELECT generate_series(1, 1000)");
    const written = (await db.pool.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn")).rows[0]!
      .lsn;
    await vi.waitFor(async () => {
      const r = await db.pool.query<{ ok: boolean }>(
        "SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1",
        [slot(), written],
      );
      expect(r.rows[0]!.ok, "the slot confirmed past WAL without outbox rows").toBe(true);
    }, poll);
    // three timeouts' worth of quiet: the same reader still holds the slot
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await slotRow())!.active_pid).toBe(reader);
  });

  it("stops reading the slot while too much waits for the broker, and loses nothing by it", async () => {
    await stopAll();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const debugLines: string[] = [];
    startRelay({
      batchSize: 5,
      log: pino({ level: "debug" }, { write: (line: string) => void debugLines.push(line) }),
      publisher: { ...db.publisher, send: async (records) => gate.then(() => db.publisher.send(records)) },
    });
    await vi.waitFor(async () => expect((await slotRow())?.active_pid, "the slot read").toBeTruthy(), poll);
    const k = randomUUID();
    await insertEach(
      k,
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    await vi.waitFor(() => expect(debugLines.some((l) => l.includes("paused reading the slot"))).toBe(true), poll);
    open();
    const { steps, duplicates } = await stepsOf(k, 300);
    expect(steps).toEqual(stepsUpTo(300));
    expect(duplicates).toBe(0);
    expect(debugLines.some((l) => l.includes("reading the slot again"))).toBe(true);
  });

  it("runs as a role with REPLICATION and SELECT and DELETE on the outbox only", async () => {
    await stopAll();
    await db.admin(async (c) => {
      await c.query(`CREATE ROLE "${replicationRole}" LOGIN REPLICATION`);
      await c.query(`GRANT CONNECT ON DATABASE "${db.dbName}" TO "${replicationRole}"`);
    });
    await db.pool.query(`GRANT USAGE ON SCHEMA public TO "${replicationRole}"`);
    await db.pool.query(`GRANT SELECT, DELETE ON outbox TO "${replicationRole}"`);
    const url = new URL(db.url);
    url.username = replicationRole;
    const k = randomUUID();
    await insertEach(k, [1, 2]); // before its slot exists: published from the table
    startRelay({ url: url.toString(), slotPrefix: `${db.slotPrefix}_least` });
    await vi.waitFor(
      async () =>
        expect(
          (
            await db.pool.query("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [
              slotName(`${db.slotPrefix}_least`, "test"),
            ])
          ).rows[0]?.active,
        ).toBe(true),
      poll,
    );
    await insertEach(k, [3, 4]);
    expect((await stepsOf(k, 4)).steps).toEqual(stepsUpTo(4));
    await vi.waitFor(
      async () => expect(Number((await db.pool.query("SELECT count(*) AS n FROM outbox")).rows[0].n)).toBe(0),
      poll,
    );
  });

  it("deletes the rows the slot confirmed, so the outbox does not grow, and reports the slot's lag", async () => {
    await stopAll();
    const relay = startRelay();
    const k = randomUUID();
    await Promise.all(
      Array.from({ length: 10 }, (_, t) =>
        db.insert(Array.from({ length: 20 }, (_, i) => cancelledShipment(k, t * 20 + i))),
      ),
    );
    await db.recordsFor([k], 200);
    await vi.waitFor(
      async () => expect(Number((await db.pool.query("SELECT count(*) AS n FROM outbox")).rows[0].n)).toBe(0),
      poll,
    );
    const [status] = await relay.status();
    expect(status).toMatchObject({
      mode: "wal",
      leader: true,
      slot: { name: slot(), exists: true, lagBytes: expect.any(Number), lagSeconds: expect.any(Number) },
    });
  });

  it("refuses a slot name another database on the server already uses, naming RELAY_SLOT_PREFIX", async () => {
    await stopAll();
    const taken = slotName(db.slotPrefix, "elsewhere");
    // slot names are cluster-wide: the same name made on the server's postgres database
    await db.admin((c) => c.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [taken]));
    try {
      startRelay({ databases: [{ name: "elsewhere", url: db.url }] });
      await vi.waitFor(
        () =>
          expect(
            logLines.some(
              (l) =>
                l.includes(`replication slot ${taken} belongs to database postgres`) && l.includes("RELAY_SLOT_PREFIX"),
            ),
          ).toBe(true),
        poll,
      );
    } finally {
      await stopAll();
      await db.admin((c) => c.query("SELECT pg_drop_replication_slot($1)", [taken]));
    }
  });
});
