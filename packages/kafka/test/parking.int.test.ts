// Per-key order through failures, on the real broker: parking, redrive to one group, the loop
// guard, discard, and a dead-letter publish that fails.
import { randomUUID } from "node:crypto";
import type { OrderflowEvent } from "@orderflow/contracts";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  consumerGroupLag,
  deletePrefixedTopics,
  createEventConsumer,
  createKafkaClient,
  createPublisher,
  discard,
  ensureTopic,
  ensureTopics,
  listDeadLetters,
  memoryKeyParking,
  NonRetriableError,
  readTopic,
  recordForEvent,
  redrive,
  type EventConsumer,
  type Publisher,
} from "../src/index.js";
import { keysOnOnePartition, partitionOf, poll, shipmentCancelled } from "./support.js";

const run = randomUUID().slice(0, 8);
// a topic prefix of its own: live services on the same broker never see these records
const client = createKafkaClient({
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(","),
  clientId: "parking-int",
  logger: pino({ level: "silent" }),
  topicPrefix: `test-${run}.`,
});
const failing = `parking-a-${run}`;
const other = `parking-b-${run}`;
const sources = ["shipping-events"];
let publisher: Publisher;
const consumers: EventConsumer[] = [];

/** what each group handled, as "key:step" in order */
const seen: Record<string, string[]> = { [failing]: [], [other]: [] };
const brokenKeys = new Set<string>();

async function startGroup(group: string, failOn?: Set<string>): Promise<void> {
  await ensureTopic(client, { name: `shipping-events.${group}.dlt`, partitions: 1, retentionMs: 3_600_000 });
  const c = createEventConsumer(client, publisher, {
    groupId: group,
    topics: ["shipping-events"],
    parking: memoryKeyParking(),
    // all or nothing for the run, as a database transaction would be
    handler: async (records) => {
      const events = records.map((r) => r.event as Extract<OrderflowEvent, { type: "ShipmentCancelled" }>);
      // earlier runs' history (groups read from the start) is passed over
      const mine = events.filter((e) => e.correlationId.endsWith(run));
      const bad = mine.find((e) => failOn?.has(e.data.orderId));
      if (bad) throw new NonRetriableError(`cannot handle ${bad.data.reason}`);
      for (const e of mine) seen[group]!.push(`${e.data.orderId}:${e.data.reason}`);
    },
  });
  await c.start();
  consumers.push(c);
  await vi.waitFor(() => expect(c.isReady(), `${group} to join`).toBe(true), poll);
}

const ev = (key: string, step: string) => {
  const e = shipmentCancelled(key, step);
  return { ...e, correlationId: `${e.correlationId}-${run}` };
};

beforeAll(async () => {
  await ensureTopics(client);
  publisher = createPublisher(client);
  await publisher.connect();
  await startGroup(failing, brokenKeys);
  await startGroup(other);
});

afterAll(async () => {
  for (const c of consumers) await c.stop();
  await publisher?.disconnect();
  await deletePrefixedTopics(client);
});

describe("per-key parking and redrive", () => {
  const [x, y] = keysOnOnePartition(2) as [string, string];
  const steps = (k: string, s: string[]) => s.map((n) => `${k}:${n}`);

  it("parks a failed order's later records while another order on the partition flows", async () => {
    brokenKeys.add(x);
    await publisher.send(
      [ev(x, "x1"), ev(y, "y1"), ev(x, "x2"), ev(y, "y2"), ev(x, "x3")].map((e) => recordForEvent(e)),
    );
    await vi.waitFor(() => expect(seen[failing], "y's records in the failing group").toHaveLength(2), poll);
    expect(seen[failing]).toEqual(steps(y, ["y1", "y2"]));
    await vi.waitFor(() => expect(seen[other], "everything in the other group").toHaveLength(5), poll);
    expect(seen[other]).toEqual([
      ...steps(x, ["x1"]),
      ...steps(y, ["y1"]),
      ...steps(x, ["x2"]),
      ...steps(y, ["y2"]),
      ...steps(x, ["x3"]),
    ]);
    const dead = await vi.waitFor(async () => {
      const d = await listDeadLetters(client, { group: failing, sources, key: x });
      expect(d, "three dead letters for x").toHaveLength(3);
      return d;
    }, poll);
    expect(dead.map((d) => d.errorClass)).toEqual(["NonRetriableError", "ParkedBehindFailure", "ParkedBehindFailure"]);
    expect(dead[1]!.errorMessage).toMatch(/parked behind shipping-events\/\d+@\d+/);
  });

  it("redriving the order after the fix completes it in order, in the failed group only", async () => {
    brokenKeys.delete(x);
    const r = await redrive(client, publisher, { group: failing, sources, key: x, operator: "test" });
    expect(r.done).toHaveLength(3);
    expect(r.released).toEqual([x]);
    await vi.waitFor(() => expect(seen[failing], "x's records in the failing group").toHaveLength(5), poll);
    expect(seen[failing]).toEqual([...steps(y, ["y1", "y2"]), ...steps(x, ["x1", "x2", "x3"])]);
    // the key flows again for live records
    await publisher.send([recordForEvent(ev(x, "x4"))]);
    await vi.waitFor(() => expect(seen[failing], "a live record after the release").toContain(`${x}:x4`), poll);
    await vi.waitFor(() => expect(seen[other], "the other group to see x4").toContain(`${x}:x4`), poll);
    expect(seen[other]!.filter((s) => s.startsWith(x))).toEqual(steps(x, ["x1", "x2", "x3", "x4"])); // no redriven copies
    expect(await listDeadLetters(client, { group: failing, sources, key: x })).toEqual([]);
    const audit = (await listDeadLetters(client, { group: failing, sources, key: x, state: "all" })).map(
      (d) => d.state,
    );
    expect(audit).toEqual(["redriven", "redriven", "redriven"]);
  });

  it("keeps a record that fails again dead-lettered past the redrive limit, and can discard it", async () => {
    const [z] = keysOnOnePartition(1) as [string];
    brokenKeys.add(z);
    await publisher.send([recordForEvent(ev(z, "z1"))]);
    await vi.waitFor(
      async () =>
        expect(await listDeadLetters(client, { group: failing, sources, key: z }), "z dead-lettered").toHaveLength(1),
      poll,
    );
    await redrive(client, publisher, { group: failing, sources, key: z, operator: "test", maxRedrives: 1 });
    const again = await vi.waitFor(async () => {
      const d = await listDeadLetters(client, { group: failing, sources, key: z });
      expect(
        d.map((l) => l.redriveCount),
        "z dead-lettered again",
      ).toEqual([1]);
      return d;
    }, poll);
    const second = await redrive(client, publisher, {
      group: failing,
      sources,
      id: again[0]!.id,
      operator: "test",
      maxRedrives: 1,
    });
    expect(second.done).toEqual([]);
    expect(second.refused[0]!.why).toMatch(/redriven 1 times already \(limit 1\)/);
    const dropped = await discard(client, publisher, {
      group: failing,
      sources,
      key: z,
      operator: "test",
      reason: "bad data",
    });
    expect(dropped.done).toHaveLength(1);
    expect(await listDeadLetters(client, { group: failing, sources, key: z })).toEqual([]);
    brokenKeys.delete(z);
    await publisher.send([recordForEvent(ev(z, "z2"))]);
    await vi.waitFor(() => expect(seen[failing], "z flows again after the discard").toContain(`${z}:z2`), poll);
  });
});

describe("a dead-letter publish that fails", () => {
  it("leaves the offset uncommitted until the dead letter is acknowledged", async () => {
    const group = `parking-c-${run}`;
    await ensureTopic(client, { name: `shipping-events.${group}.dlt`, partitions: 1, retentionMs: 3_600_000 });
    let dltUp = false;
    let dltTries = 0;
    const flaky: Publisher = {
      ...publisher,
      async send(records) {
        if (records.some((r) => r.topic.endsWith(".dlt"))) {
          dltTries++;
          if (!dltUp) throw new Error("dead-letter topic unavailable");
        }
        return publisher.send(records);
      },
    };
    const key = randomUUID();
    const c = createEventConsumer(client, flaky, {
      groupId: group,
      topics: ["shipping-events"],
      handler: async () => {},
    });
    await c.start();
    consumers.push(c);
    await vi.waitFor(() => expect(c.isReady(), "join").toBe(true), poll);
    await publisher.send([{ topic: "shipping-events", key, value: "not json", headers: {} }]);
    await vi.waitFor(() => expect(dltTries, "a second try of the dead-letter publish").toBeGreaterThanOrEqual(2), {
      ...poll,
      timeout: 60_000,
    });
    const committed = async () =>
      (await consumerGroupLag(client, group, ["shipping-events"])).find((p) => p.partition === partitionOf(key))!
        .committedOffset;
    expect(await committed()).toBe("-1"); // nothing committed while the dead letter is not acknowledged
    dltUp = true;
    const dead = await vi.waitFor(
      async () => {
        const found = (
          await readTopic(client, `shipping-events.${group}.dlt`, {
            until: (rs) => rs.some((r) => r.key === key),
            timeoutMs: 3000,
          })
        ).find((r) => r.key === key);
        expect(found, "the dead letter").toBeDefined();
        return found!;
      },
      { ...poll, timeout: 60_000 },
    );
    const next = String(Number(dead.headers["dlt-original-offset"]) + 1);
    await vi.waitFor(async () => expect(await committed(), "the commit past the poison record").toBe(next), {
      ...poll,
      timeout: 60_000,
    });
  }, 150_000);
});
