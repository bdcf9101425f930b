// Faults injected while hundreds of orders are in flight, on a real 3-broker cluster and a real
// PostgreSQL; after each one the flow must settle with I1–I8 holding and every order terminal.
// The invariants are checked over every order placed so far, so a later fault also re-checks the
// earlier ones. Results: reliability/results/latest.{json,md} (a table, also printed).
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { bootstrapServers } from "@orderflow/infra/stack";
import { describeTopics, ensureTopic, readTopicToEnd, type KafkaClient } from "@orderflow/kafka";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DATABASES, poll } from "../test/harness.js";
import {
  PROFILE,
  RELAY_MODE,
  reliabilityStackEnv,
  slotName,
  stackDown,
  stackUp,
  World,
  type Verdict,
} from "./world.js";
import { renderTable, type Row } from "./report.js";

const stack = reliabilityStackEnv();
const world = new World(stack, bootstrapServers(stack));
const rows: Row[] = [];
const N = PROFILE.orders;

beforeAll(async () => {
  await stackDown(stack); // a previous run killed half-way
  for (const d of ["kafka-cluster/node-1", "kafka-cluster/node-2", "kafka-cluster/node-3", "postgres"])
    fs.rmSync(path.join(stack.ORDERFLOW_STACK_DIR, d), { recursive: true, force: true });
  await stackUp(stack);
  await world.setUp();
});

afterAll(async () => {
  await world.tearDown();
  await stackDown(stack);
  const dir = path.join(import.meta.dirname, "results");
  fs.mkdirSync(dir, { recursive: true });
  const table = renderTable(rows, PROFILE);
  fs.writeFileSync(
    path.join(dir, "latest.json"),
    `${JSON.stringify({ profile: PROFILE, at: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(dir, "latest.md"), table);
  console.log(`\n${table}`);
});

/** Runs one fault, then waits for the flow to settle and records the verdict. */
// biome-ignore lint/suspicious/noConfusingVoidType: most faults are async functions returning nothing, whose Promise<void> is not a Promise<undefined>
async function fault(name: string, run: () => Promise<string | void>): Promise<Verdict> {
  const started = Date.now();
  const before = world.accepted.size;
  let note: string | undefined;
  let error: unknown;
  try {
    note = (await run()) ?? undefined;
  } catch (e) {
    error = e;
  }
  const v = await world.settleAndCheck();
  rows.push({
    fault: name,
    orders: world.accepted.size - before,
    verdict: v,
    durationMs: Date.now() - started,
    ...(note ? { note } : {}),
    ...(error ? { error: (error as Error).message } : {}),
  });
  if (error || v.failed.length) {
    // what the services logged as wrong during this fault: CI keeps only this output
    const problems = world.problemsSince(started);
    console.log(`fault "${name}" failed; the services' warnings and errors since it began:\n${problems}`);
    if (error) throw error;
    expect(v.failed, `${v.settleError ?? ""}\n${problems}`).toEqual([]);
  }
  return v;
}

const leaderOf = async (client: KafkaClient, topic: string, partition = 0) =>
  (await describeTopics(client, [topic]))[0]!.partitions.find((p) => p.partition === partition)!.leader;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const paymentCount = async () =>
  Number((await world.query<{ n: string }>("payment", "SELECT count(*) AS n FROM payments"))[0]!.n);
const logsMatching = (msg: string) => world.logCount(msg);
/** the wal relay's log messages (apps/outbox-relay/src/relay/wal-worker.ts) */
const CREATED_SLOT = "created the replication slot after publishing the outbox's rows";
const LEADING = "leading: publishing this database's outbox from its replication slot";
const goneMsg = (slot: string) =>
  `replication slot ${slot} is gone (dropped by an operator?): recreating it and republishing the outbox rows not yet confirmed`;
const CREATED_SLOT_LINES = () => world.logCount(CREATED_SLOT);
const goneLines = () =>
  (Object.keys(DATABASES) as (keyof typeof DATABASES)[]).reduce(
    (n, db) => n + world.logCount(goneMsg(slotName(db))),
    0,
  );

describe(`faults (${PROFILE.name} profile: ${N} orders each, relay in ${RELAY_MODE} mode)`, () => {
  it("no fault: the baseline every other row is compared with", async () => {
    await fault("none (baseline)", async () => void (await world.placeOrders(N)));
  });

  it("partition leaders SIGKILLed repeatedly on the 3-broker cluster", async () => {
    await fault("partition leader SIGKILL ×3", async () => {
      const load = world.placeOrders(N, { concurrency: 4 });
      const killed: number[] = [];
      for (let i = 0; i < 3; i++) {
        const leader = await vi.waitFor(async () => {
          const l = await leaderOf(world.kafka, "order-events");
          expect(l, "a leader for order-events/0").toBeGreaterThan(0);
          return l;
        }, poll);
        await world.brokerDown(leader, true);
        killed.push(leader);
        await vi.waitFor(
          async () => expect(await leaderOf(world.kafka, "order-events"), "leadership to move").not.toBe(leader),
          { ...poll, timeout: 60_000 },
        );
        await world.brokerUp(leader);
      }
      await load;
      return `killed nodes ${killed.join(", ")}`;
    });
  });

  it("all brokers down for a while: orders are still accepted into the outbox and readiness says so", async () => {
    await fault("all brokers down, then back", async () => {
      await Promise.all([1, 2, 3].map((n) => world.brokerDown(n, true)));
      await vi.waitFor(
        async () =>
          expect((await fetch(world.order.url("/readyz"))).status, "order /readyz to report Kafka down").toBe(503),
        { ...poll, timeout: 60_000 },
      );
      const during = await world.placeOrders(Math.ceil(N / 3));
      const ready = (await (await fetch(world.order.url("/readyz"))).json()) as {
        checks: Record<string, { ok?: boolean; status?: string }>;
      };
      await world.brokerUp();
      await world.placeOrders(N - during.length);
      return `${during.length} orders accepted with no broker up; readiness: ${JSON.stringify(ready).slice(0, 120)}`;
    });
  });

  it("the relay exits between the broker's ack of a send and its slot confirmation", async () => {
    // RELAY_FAILPOINT=crash-after-publish: exit(86) once a send is acknowledged, before the slot is confirmed
    await fault("relay crash after the ack, before the slot confirms ×3", async () => {
      await world.restart("outbox-relay", "SIGKILL", { RELAY_FAILPOINT: "crash-after-publish" }, false);
      const load = world.placeOrders(N);
      for (let i = 0; i < 3; i++) {
        const relay = world.services.get("outbox-relay")!;
        expect(await relay.waitExit()).toBe(86);
        await world.kill("outbox-relay"); // already gone: forgets it
        await world.start("outbox-relay", 1, i < 2 ? { RELAY_FAILPOINT: "crash-after-publish" } : {}, i === 2);
      }
      await load;
      return `${logsMatching("duplicate event ignored")} redelivered events dropped by inboxes so far`;
    });
  });

  it("two relay replicas, the leader killed, outbox rows committed out of id order", async () => {
    await fault("2 relays, leader SIGKILL, out-of-order commits", async () => {
      await ensureTopic(world.kafka, { name: "reliability-probe", partitions: 1, retentionMs: -1 });
      await world.start("outbox-relay", 2);
      const c = new pg.Client({ connectionString: DATABASES.order });
      await c.connect();
      const probe = randomUUID();
      try {
        // a transaction takes a low outbox id and stays open while later rows commit and publish
        await c.query("BEGIN");
        await c.query(
          `INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES ($1, 'probe', 'reliability-probe', 'probe', 'Probe', $2, '{}')`,
          [probe, JSON.stringify({ probe })],
        );
        const paymentsBefore = await paymentCount();
        const load = world.placeOrders(N);
        // rows written after the open one were published: payment made a payment for their orders
        await vi.waitFor(
          async () =>
            expect(await paymentCount(), "orders placed after the open row to reach payment").toBeGreaterThan(
              paymentsBefore + 20,
            ),
          { ...poll, timeout: 60_000 },
        );
        await world.kill("outbox-relay", 1, "SIGKILL"); // the standby takes over
        await c.query("COMMIT");
        await load;
        await world.start("outbox-relay", 1);
        await world.kill("outbox-relay", 2, "SIGTERM");
      } finally {
        await c.end();
      }
      const seen = await vi.waitFor(
        async () => {
          const recs = (await readTopicToEnd(world.kafka, "reliability-probe")).filter((r) =>
            r.value?.toString().includes(probe),
          );
          expect(recs.length, "the late-committed row on its topic").toBeGreaterThan(0);
          return recs;
        },
        { ...poll, timeout: 60_000 },
      );
      expect(seen).toHaveLength(1);
      return "the row committed last with the lowest id was published once";
    });
  });

  it("the relay SIGKILLed mid-stream: a large transaction half sent, then read again from the slot", async () => {
    await fault("relay SIGKILL mid-stream, 1,000-row transactions in flight ×2", async () => {
      // Transactions of 1,000 rows each (12 keys) on a 3-partition topic, one send per transaction.
      // Kill 1: the broker leading partition 0 is frozen (SIGSTOP) first, so a send is acknowledged
      // on the other partitions once the controller fences it while the records for partition 0
      // wait on the frozen broker; the relay is SIGKILLed as soon as records reach the topic.
      // Kill 2: more transactions are committed while no relay runs, so the next relay has
      // thousands of records to send from the slot; it is killed as soon as part of them arrived.
      const topic = "reliability-stream";
      const TXNS = 6;
      const ROWS = 1000;
      await ensureTopic(world.kafka, { name: topic, partitions: 3, retentionMs: -1 });
      const leaders = await vi.waitFor(async () => {
        const ps = (await describeTopics(world.kafka, [topic]))[0]!.partitions;
        expect(
          ps.every((p) => p.leader > 0),
          "a leader for every partition",
        ).toBe(true);
        return ps.map((p) => p.leader);
      }, poll);
      const frozen = leaders[0]!;
      expect(
        leaders.some((l) => l !== frozen),
        "a partition led by another broker",
      ).toBe(true);
      const run = randomUUID();
      const probe = world.kafkaWithout(frozen);
      /** the records on the topic (high watermarks), or undefined while a leader does not answer */
      const onTopic = async (): Promise<number | undefined> => {
        const admin = probe.kafka.admin();
        try {
          const offsets = await Promise.race([
            admin.connect().then(() => admin.fetchTopicOffsets(probe.physical(topic))),
            pause(3000).then(() => undefined),
          ]);
          return offsets?.reduce((n, p) => n + Number(p.high), 0);
        } catch {
          return undefined;
        } finally {
          void admin.disconnect().catch(() => {});
        }
      };
      const settled = () =>
        vi.waitFor(
          async () => {
            const n = await onTopic();
            expect(n, "every partition's leader answers").toBeDefined();
            return n!;
          },
          { ...poll, timeout: 60_000 },
        );
      /** commits `TXNS` transactions of `ROWS` rows; seq rises in commit order, so per-key order can be checked */
      const commit = async (first: number) => {
        const c = new pg.Client({ connectionString: DATABASES.order });
        await c.connect();
        try {
          for (let t = first; t < first + TXNS; t++)
            await c.query(
              `INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers)
               SELECT gen_random_uuid(), 'stream', $1, 'stream-' || (g % 12), 'Stream',
                      jsonb_build_object('run', $2::text, 'seq', $3::int * $4::int + g), '{}'
                 FROM generate_series(0, $4::int - 1) g`,
              [topic, run, t, ROWS],
            );
        } finally {
          await c.end();
        }
      };
      const before = await settled();
      const kills: number[] = [];
      world.brokerFreeze(frozen, true);
      try {
        await commit(0);
        // the half-sent state needs the controller to fence the frozen broker before the relay's
        // request times out; on a loaded machine that comes late, and the relay is killed with
        // whatever reached the topic (order and completeness are checked either way)
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; await pause(50)) {
          const n = await onTopic();
          if (n !== undefined && n > before) break;
        }
        await world.kill("outbox-relay", 1, "SIGKILL");
      } finally {
        world.brokerFreeze(frozen, false);
      }
      kills.push((await settled()) - before);
      await commit(TXNS);
      const load = world.placeOrders(N);
      const base = await settled();
      // not waiting for readiness: the new relay sends again from the slot at once
      await world.start("outbox-relay", 1, {}, false);
      for (const deadline = Date.now() + 90_000; ; ) {
        const n = ((await onTopic()) ?? base) - base;
        if ((n > 0 && n % ROWS !== 0) || n >= 2 * ROWS) break;
        if (Date.now() > deadline) throw new Error(`the relay sent ${n} stream records in 90 s`);
        await pause(5); // polled tightly: one send lasts tens of milliseconds
      }
      await world.kill("outbox-relay", 1, "SIGKILL");
      kills.push((await settled()) - base);
      await world.start("outbox-relay");
      await load;
      const records = await vi.waitFor(
        async () => {
          const recs = (await readTopicToEnd(world.kafka, topic))
            .map((r) => ({ ...r, v: JSON.parse(r.value!.toString()) as { run: string; seq: number } }))
            .filter((r) => r.v.run === run);
          expect(new Set(recs.map((r) => r.v.seq)).size, "every row of every transaction on the topic").toBe(
            2 * TXNS * ROWS,
          );
          return recs;
        },
        { ...poll, timeout: 120_000 },
      );
      // per key, in offset order, each seq first seen after every lower one: re-reads repeat, never reorder
      const byKey = new Map<string, { offset: bigint; seq: number }[]>();
      for (const r of records)
        byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), { offset: BigInt(r.offset), seq: r.v.seq }]);
      for (const [key, recs] of byKey) {
        const seen = new Set<number>();
        const firsts = recs
          .sort((a, b) => (a.offset < b.offset ? -1 : 1))
          .filter((r) => !seen.has(r.seq) && seen.add(r.seq))
          .map((r) => r.seq);
        expect(firsts, `records of ${key} in commit order`).toEqual([...firsts].sort((a, b) => a - b));
      }
      return `${2 * TXNS} transactions of ${ROWS} rows; broker ${frozen} frozen, relay killed with ${kills[0]} of the first ${TXNS * ROWS} records on the topic, then again with ${kills[1]} records sent from the slot; ${records.length - 2 * TXNS * ROWS} copies beyond one per row, every row on the topic, per-key order held`;
    });
  });

  it("PostgreSQL restarted with the slots in place: the running relay reads them again from where they stood", async () => {
    await fault("PostgreSQL restart, the slots in place", async () => {
      const relay = world.services.get("outbox-relay")!;
      const created = CREATED_SLOT_LINES();
      const gone = goneLines();
      const acceptedBefore = world.accepted.size;
      const load = world.placeOrders(N);
      await vi.waitFor(() => expect(world.accepted.size - acceptedBefore, "orders flowing").toBeGreaterThan(N / 4), {
        ...poll,
        timeout: 60_000,
      });
      const before = await world.slots();
      await world.postgresDown();
      await pause(2000);
      await world.postgresUp();
      await load;
      // each slot read again and confirmed past where it stood before the restart
      await vi.waitFor(
        async () => {
          const after = await world.slots();
          for (const [db, b] of before) {
            const a = after.get(db);
            expect(a?.active, `slot ${b.name} read again`).toBe(true);
            expect(a!.confirmedLsn > b.confirmedLsn, `slot ${b.name} confirmed past its position before`).toBe(true);
          }
        },
        { ...poll, timeout: 90_000 },
      );
      expect(relay.exitCode, "the relay kept running").toBeUndefined();
      expect(world.services.get("outbox-relay")).toBe(relay);
      expect(CREATED_SLOT_LINES(), "no slot made again").toBe(created);
      expect(goneLines(), "no slot reported gone").toBe(gone);
      return `the relay (not restarted) resumed all ${before.size} slots; ${world.logCount("duplicate event ignored")} redelivered events dropped by inboxes so far`;
    });
  });

  it("the replication slots dropped by an operator while the relay reads them", async () => {
    await fault("slots dropped by an operator", async () => {
      const dbs = Object.keys(DATABASES) as (keyof typeof DATABASES)[];
      const created = world.logLines({ msg: CREATED_SLOT }).length;
      const acceptedBefore = world.accepted.size;
      const load = world.placeOrders(N);
      const tries: number[] = [];
      for (const db of dbs) {
        await vi.waitFor(
          () =>
            expect(world.accepted.size - acceptedBefore, "orders flowing").toBeGreaterThan(
              (N * (tries.length + 1)) / 4,
            ),
          { ...poll, timeout: 60_000 },
        );
        tries.push(await world.dropSlot(db));
      }
      await load;
      // an error naming each slot, then each made again after its unconfirmed rows were republished
      for (const db of dbs)
        await vi.waitFor(
          () =>
            expect(
              world.logLines({ level: "error", msg: goneMsg(slotName(db)) }).length,
              `an error naming ${slotName(db)}`,
            ).toBeGreaterThan(0),
          { ...poll, timeout: 60_000 },
        );
      await vi.waitFor(
        async () => {
          const slots = await world.slots();
          for (const db of dbs) expect(slots.get(db)?.active, `${slotName(db)} made again and read`).toBe(true);
        },
        { ...poll, timeout: 60_000 },
      );
      const remade = world.logLines({ msg: CREATED_SLOT }).slice(created);
      const republished = remade.reduce((n, l) => n + Number(l.republished ?? 0), 0);
      return `3 slots dropped (terminate + drop, ${tries.join("/")} tries); each logged as gone, made again after ${republished} outbox rows not yet confirmed were republished`;
    });
  });

  it("a second relay standing by on the slots: the leader SIGKILLed, the standby takes them over", async () => {
    await fault("standby relay takes over the slots, leader SIGKILL", async () => {
      const standby = await world.start("outbox-relay", 2);
      const leading = (s: typeof standby) => s.find({ msg: LEADING }).length;
      expect(leading(standby), "the second relay stands by").toBe(0);
      const acceptedBefore = world.accepted.size;
      const load = world.placeOrders(N);
      await vi.waitFor(() => expect(world.accepted.size - acceptedBefore, "orders flowing").toBeGreaterThan(N / 3), {
        ...poll,
        timeout: 60_000,
      });
      const readers = new Set([...(await world.slots()).values()].map((sl) => sl.activePid));
      const killed = Date.now();
      await world.kill("outbox-relay", 1, "SIGKILL");
      await vi.waitFor(
        async () => {
          expect(leading(standby), "the standby leads every database").toBe(3);
          for (const sl of (await world.slots()).values()) {
            expect(sl.active, `${sl.name} read`).toBe(true);
            expect(readers.has(sl.activePid), `${sl.name} read by a new session`).toBe(false);
          }
        },
        { timeout: 60_000, interval: 50 },
      );
      const takeover = Date.now() - killed;
      await load;
      // back to one relay on the usual port: it stands by, and takes over when the other stops
      const relay = await world.start("outbox-relay");
      await world.kill("outbox-relay", 2, "SIGTERM");
      await vi.waitFor(() => expect(leading(relay), "the relay leads again").toBe(3), { ...poll, timeout: 60_000 });
      return `the standby read all 3 slots ${takeover} ms after the leader was killed`;
    });
  });

  it("consumers SIGKILLed after their database commit, before their offset commit", async () => {
    await fault("consumers SIGKILL mid-batch ×5", async () => {
      // payment kills itself (SIGKILL) right after a run of records is committed in its database
      // and before their offsets are: a kill aimed by the clock once missed that window, which
      // lasts milliseconds since records commit in runs (PAYMENT_CONSUMER_FAILPOINT)
      // slow handlers: the provider answers late, so runs of records are in flight when the kill lands
      await world.providerFaults({ latencyMs: 30 });
      try {
        const dropsBefore = logsMatching("duplicate event ignored");
        const load = world.placeOrders(N);
        for (let i = 0; i < 3; i++) {
          await world.restart("payment", "SIGKILL", { PAYMENT_CONSUMER_FAILPOINT: "crash-after-handled:20" }, false);
          expect(await world.services.get("payment")!.waitExit()).toBeNull(); // killed by its own signal
        }
        await world.restart("payment", "SIGKILL");
        await world.restart("shipping", "SIGKILL");
        await world.restart("order", "SIGKILL");
        await load;
        await vi.waitFor(async () => expect(await world.lagOf("payment"), "payment caught up").toBe(0), {
          ...poll,
          timeout: 120_000,
        });
        await world.restart("payment", "SIGTERM");
        const dropped = logsMatching("duplicate event ignored") - dropsBefore;
        // the window was hit: records handled before a kill came back and were recognised
        expect(dropped).toBeGreaterThan(0);
        return `${dropped} redelivered events recognised by inboxes and dropped (their offsets were behind the database)`;
      } finally {
        await world.providerFaults({ latencyMs: 0 });
      }
    });
  });

  it("payment SIGKILLed after the provider answered, before the transaction recording the answers commits", async () => {
    await fault("payment SIGKILL after the provider answered, before the commit ×3", async () => {
      // payment kills itself once the provider has answered 20 calls, before the transaction that
      // records them commits (PAYMENT_CONSUMER_FAILPOINT=crash-after-provider): the provider
      // charged, payment recorded nothing; the next payment asks again under the same keys
      const before = await world.providerRequests();
      const repeatedBefore = before.requests.filter((r) => r.presentedCount > 1).length;
      const acceptedBefore = world.accepted.size;
      // a backlog first, so each payment started with the failpoint has 20 calls to make before
      // it catches up (each one commits fewer than 20 records before it dies)
      await world.kill("payment", 1, "SIGTERM");
      const load = world.placeOrders(N);
      await vi.waitFor(
        () =>
          expect(world.accepted.size - acceptedBefore, "a backlog of orders for payment").toBeGreaterThanOrEqual(
            Math.min(N, 80),
          ),
        { ...poll, timeout: 120_000 },
      );
      for (let i = 0; i < 3; i++) {
        if (i > 0) await world.kill("payment"); // already gone: forgets it
        const payment = await world.start(
          "payment",
          1,
          { PAYMENT_CONSUMER_FAILPOINT: "crash-after-provider:20" },
          false,
        );
        const code = await Promise.race([
          payment.waitExit(),
          new Promise<string>((r) => setTimeout(r, 120_000, "still running").unref()),
        ]);
        expect(code, "payment reached its failpoint (20 provider answers) and was killed by its own signal").toBeNull();
      }
      await world.kill("payment");
      await world.start("payment");
      await load;
      await vi.waitFor(async () => expect(await world.lagOf("payment"), "payment caught up").toBe(0), {
        ...poll,
        timeout: 120_000,
      });
      const after = await world.providerRequests();
      const repeated = after.requests.filter((r) => r.presentedCount > 1).length - repeatedBefore;
      // the window was hit: calls answered before a kill were asked again, and answered from the provider's records
      expect(repeated).toBeGreaterThan(0);
      return `${repeated} provider keys presented more than once (${after.summary.replays - before.summary.replays} replays answered from the provider's records)`;
    });
  });

  it("provider answers lost after it applied the charge: payment times out and retries under the same key", async () => {
    await fault("provider timeouts that applied the charge", async () => {
      const normal = await world.providerFaults();
      const before = await world.providerRequests();
      const lostBefore = await world.providerLostAnswers();
      // a lost answer is held longer than payment waits: payment sees a timeout after the charge
      await world.providerFaults({ lostAnswerRate: 0.3, lostAnswerHoldMs: 2000 });
      try {
        // with 3 in 10 answers lost, a record's calls can fail 5 times in a row (the default
        // attempts, then the record would be dead-lettered, as designed for a provider that
        // keeps failing): allow more attempts, and the time they take
        await world.restart("payment", "SIGTERM", {
          PAYMENT_PROVIDER_TIMEOUT_MS: "300",
          CONSUMER_MAX_ATTEMPTS: "20",
          CONSUMER_RETRY_MAX_TOTAL_MS: "60000",
        });
        const ids = await world.placeOrders(N);
        await vi.waitFor(
          async () => {
            const r = await world.query<{ n: string }>(
              "payment",
              "SELECT count(*) AS n FROM payments WHERE order_id = ANY($1::uuid[])",
              [ids],
            );
            expect(Number(r[0]!.n), "a payment for every order of this fault").toBe(ids.length);
          },
          { ...poll, timeout: 150_000 },
        );
      } finally {
        await world.providerFaults({
          lostAnswerRate: normal.lostAnswerRate,
          lostAnswerHoldMs: normal.lostAnswerHoldMs,
        });
      }
      await world.restart("payment", "SIGTERM");
      const after = await world.providerRequests();
      const lost = (await world.providerLostAnswers()) - lostBefore;
      const replays = after.summary.replays - before.summary.replays;
      expect(lost).toBeGreaterThan(0);
      // every answer lost was asked for again under its key (a lost replay too)
      expect(replays).toBeGreaterThanOrEqual(lost);
      return `${lost} answers lost after the provider applied them, ${replays} replays answered from its records`;
    });
  });

  it("a rebalance storm: the payment group scaled 1 → 3 → 1 while its handlers are slow", async () => {
    await fault("rebalance storm 1→3→1, slow handlers", async () => {
      // slow handlers: the provider answers late
      await world.providerFaults({ latencyMs: 40 });
      try {
        await world.restart("payment", "SIGTERM");
        const load = world.placeOrders(N);
        await world.start("payment", 2);
        await world.start("payment", 3);
        await pause(1000);
        await world.kill("payment", 3, "SIGTERM");
        await world.kill("payment", 2, "SIGTERM");
        await load;
      } finally {
        await world.providerFaults({ latencyMs: 0 });
      }
      await world.restart("payment", "SIGTERM");
    });
  });

  it("a handler throwing mid-batch: poison records between real ones are dead-lettered, the rest handled once", async () => {
    await fault("poison records mid-batch", async () => {
      const load = world.placeOrders(N);
      for (let i = 0; i < 5; i++) {
        await pause(150);
        await world.injectPoison(i % 2 ? "payment-events" : "order-events", 2);
      }
      await load;
      return `${world.expectedDeadLetters()} dead letters expected in all (poison × consuming groups)`;
    });
  });

  it("the same event delivered 10 times concurrently, and an order's events replayed out of order", async () => {
    await fault("10× concurrent duplicates + out-of-order", async () => {
      const ids = await world.placeOrders(Math.min(N, 40));
      await vi.waitFor(
        async () => {
          const r = await world.query<{ n: string }>(
            "order",
            `SELECT count(*) AS n FROM order_events WHERE order_id = ANY($1::uuid[]) AND type IN ('OrderShipped', 'OrderCancelled')`,
            [ids],
          );
          expect(Number(r[0]!.n), "those orders terminal").toBe(ids.length);
        },
        { ...poll, timeout: 120_000 },
      );
      const mine = new Set(ids);
      const p = await world.producer();
      const topics = ["order-events", "payment-events", "shipping-events"] as const;
      const records = (
        await Promise.all(
          topics.map(async (t) =>
            (
              await readTopicToEnd(world.kafka, t)
            )
              .filter((r) => r.key && mine.has(r.key))
              .map((r) => ({
                topic: t,
                key: r.key!,
                value: r.value!,
                headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])),
              })),
          ),
        )
      ).flat();
      // every record ten times, ten sends at once
      await Promise.all(Array.from({ length: 10 }, () => p.send(records)));
      // and each order's records again, newest first (shipping before payment before the order)
      await p.send([...records].reverse());
      // the flow also keeps running while the copies are consumed
      await world.placeOrders(N - ids.length);
      return `${records.length} records × 11 redelivered`;
    });
  });

  it("PostgreSQL stopped and restarted under load: 503s, no partial writes, everything resumes by itself", async () => {
    await fault("PostgreSQL stop/restart", async () => {
      const before503 = world.unavailable;
      const load = world.placeOrders(N);
      await vi.waitFor(() => expect(world.accepted.size, "orders flowing").toBeGreaterThan(0), poll);
      await pause(500);
      await world.postgresDown();
      await vi.waitFor(() => expect(world.unavailable, "POST /orders answered 503").toBeGreaterThan(before503), {
        ...poll,
        timeout: 30_000,
      });
      const ready = await fetch(world.order.url("/readyz"));
      expect(ready.status).toBe(503);
      await pause(3000);
      await world.postgresUp();
      await load;
      return `${world.unavailable - before503} requests answered 503 during the outage, then retried`;
    });
  });

  it("clients retrying POST /orders under one key while the order service is SIGKILLed mid-request", async () => {
    await fault("clients retrying POST /orders with one key while order is SIGKILLed mid-request", async () => {
      const before = {
        replayed: world.replayed,
        died: world.died,
        inFlight: world.keyInFlight,
        accepted: world.accepted.size,
      };
      const load = world.placeOrders(N, { concurrency: 8 });
      for (let i = 1; i <= 3; i++) {
        // polled tightly: at a few hundred orders a second a slower poll would find the load done
        while (world.accepted.size - before.accepted < Math.floor((N * i) / 4)) await pause(5);
        await world.restart("order", "SIGKILL"); // requests in flight die with it; their clients retry under the same key
      }
      await load;
      const died = world.died - before.died;
      // eight clients always have a request in flight: a kill breaks some of them
      expect(died).toBeGreaterThan(0);
      return `${world.replayed - before.replayed} retries answered as replays (idempotent-replayed), ${died} requests died with the process, ${world.keyInFlight - before.inFlight} answered 409 (key in flight) and retried`;
    });
  });

  it("SIGTERM to every service with work in flight", async () => {
    await fault("SIGTERM all services", async () => {
      const load = world.placeOrders(N);
      await vi.waitFor(() => expect(world.accepted.size, "orders flowing").toBeGreaterThan(0), poll);
      await pause(500);
      // not the provider: it keeps its records in memory only (I6 counts them)
      const codes = await Promise.all(
        (["order", "payment", "shipping", "outbox-relay"] as const).map((s) => world.kill(s, 1, "SIGTERM")),
      );
      expect(codes).toEqual([0, 0, 0, 0]);
      await Promise.all((["outbox-relay", "order", "payment", "shipping"] as const).map((s) => world.start(s)));
      await load;
      return "every service exited 0";
    });
  });

  it(`a soak: a random mix of the faults for ${Math.round(PROFILE.soakMs / 1000)} s`, async () => {
    await fault(`soak ${Math.round(PROFILE.soakMs / 1000)} s`, async () => {
      const until = Date.now() + PROFILE.soakMs;
      const done: string[] = [];
      let stop = false;
      const load = (async () => {
        while (!stop) await world.placeOrders(20, { concurrency: 4 });
      })();
      // never the provider: it keeps its records in memory only (I6 counts them)
      const actions: [string, () => Promise<void>][] = [
        [
          "broker",
          async () => {
            const n = 1 + Math.floor(Math.random() * 3);
            await world.brokerDown(n, true);
            await pause(2000);
            await world.brokerUp(n);
          },
        ],
        ["relay", () => world.restart("outbox-relay", "SIGKILL")],
        ["payment", () => world.restart("payment", "SIGKILL")],
        ["shipping", () => world.restart("shipping", "SIGKILL")],
        ["order", () => world.restart("order", "SIGTERM")],
        ["poison", () => world.injectPoison("order-events", 1)],
        [
          "postgres",
          async () => {
            await world.postgresDown();
            await pause(1500);
            await world.postgresUp();
          },
        ],
      ];
      try {
        while (Date.now() < until) {
          const [name, act] = actions[Math.floor(Math.random() * actions.length)]!;
          await act();
          done.push(name);
          await pause(1000);
        }
      } finally {
        stop = true;
        await load;
      }
      return done.join(" ");
    });
  });
});
