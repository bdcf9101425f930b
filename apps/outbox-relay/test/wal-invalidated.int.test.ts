// The relay's wal mode when PostgreSQL invalidated its slot: a slot that was not read held more
// WAL than max_slot_wal_keep_size allows. That cap is a server setting, so this file runs a
// PostgreSQL of its own with a 1 MB cap, where a few WAL segments invalidate an idle slot.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { adminUrl, loadStackEnv, pgDown, pgUp } from "@orderflow/infra/stack";
import { readTopic } from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRelay, type Relay, slotName } from "../src/relay/relay.js";
import { cancelledShipment, reasons, relayFixture } from "./fixture.js";

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

const stackDir = path.resolve(import.meta.dirname, "../../../.stack", `wal-invalidated-${process.pid}`);
let server: ReturnType<typeof loadStackEnv>;
let db: ReturnType<typeof relayFixture>;
const slot = () => slotName(db.slotPrefix, "test");
const logLines: string[] = [];
const log = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
let relay: Relay | undefined;
const quiet = () => {};

function startRelay(): Relay {
  relay = createRelay({
    databases: [{ name: "test", url: db.url }],
    publisher: db.publisher,
    log,
    mode: "wal",
    slotPrefix: db.slotPrefix,
    batchSize: 50,
    pollIntervalMs: 300,
    retentionMs: 3_600_000,
    cleanupIntervalMs: 3_600_000,
  });
  relay.start();
  return relay;
}

/** the different steps of `orderId` published, in first-copy order, once `n` of them arrived */
const stepsOf = async (orderId: string, n: number) => {
  const rs = await readTopic(db.kafka, "shipping-events", {
    until: (all) => new Set(reasons(all, orderId)).size >= n,
    timeoutMs: 20_000,
  });
  return [...new Set(reasons(rs, orderId))];
};

const walStatus = async () =>
  (
    await db.pool.query<{ wal_status: string }>("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", [
      slot(),
    ])
  ).rows[0]?.wal_status;

beforeAll(async () => {
  server = loadStackEnv({
    ...process.env,
    ORDERFLOW_STACK_DIR: stackDir,
    PG_PORT: String(await freePort()),
    PG_MAX_SLOT_WAL_KEEP_SIZE: "1MB",
  });
  await pgUp(server, quiet);
  db = relayFixture("relay_wal_lost", adminUrl(server));
  await db.setUp();
}, 120_000);

afterAll(async () => {
  try {
    await relay?.stop();
    await db?.tearDown();
  } finally {
    // the private server goes whatever the tear-down met (a broker down makes it throw)
    if (server) await pgDown(server, quiet, "immediate");
    fs.rmSync(stackDir, { recursive: true, force: true });
  }
}, 120_000);

describe("outbox relay in wal mode, slot invalidated by max_slot_wal_keep_size", () => {
  it("says so naming the slot, makes a new one and publishes the rows the lost one had not confirmed", async () => {
    const k = randomUUID();
    startRelay();
    await db.insert([cancelledShipment(k, 1)]);
    await stepsOf(k, 1);
    await relay!.stop();

    // written while no relay reads the slot, then more WAL than the cap: the slot is invalidated
    for (const n of [2, 3, 4]) await db.insert([cancelledShipment(k, n)]);
    await db.pool.query("CREATE TABLE filler (t text)");
    await vi.waitFor(
      async () => {
        await db.pool.query("INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 5000)");
        await db.pool.query("SELECT pg_switch_wal()");
        await db.pool.query("CHECKPOINT");
        expect(await walStatus(), "the slot invalidated").toBe("lost");
      },
      { timeout: 60_000, interval: 200 },
    );

    startRelay();
    expect(await stepsOf(k, 4), "every step, in order, once the duplicates are dropped").toEqual([
      "step 1",
      "step 2",
      "step 3",
      "step 4",
    ]);
    expect(logLines.some((l) => l.includes(`replication slot ${slot()} was invalidated`))).toBe(true);
    await vi.waitFor(async () => expect(await walStatus(), "a new slot in place").toMatch(/reserved|extended/), {
      timeout: 20_000,
      interval: 100,
    });

    // and the new slot goes on streaming
    await db.insert([cancelledShipment(k, 5)]);
    expect(await stepsOf(k, 5)).toContain("step 5");
  });
});
