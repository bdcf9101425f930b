// The consume loop on the real broker: retries, dead letters, commits and lag.
import { randomUUID } from "node:crypto";
import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  caughtUp,
  deletePrefixedTopics,
  listDeadLetters,
  redrive,
  consumerGroupLag,
  createEventConsumer,
  createKafkaClient,
  createPublisher,
  ensureTopic,
  ensureTopics,
  NonRetriableError,
  readTopic,
  readTopicToEnd,
  recordForEvent,
  type EventConsumer,
  type IncomingEvent,
  type Publisher,
} from "../src/index.js";
import { refunded } from "./fakes.js";
import { poll } from "./support.js";

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",");
// a topic prefix of its own: live services on the same broker never see these records
const client = createKafkaClient({
  brokers,
  clientId: "kafka-int-test",
  logger: pino({ level: "silent" }),
  topicPrefix: `test-${randomUUID().slice(0, 8)}.`,
});
const group = "kafka-int";
const dlt = `payment-events.${group}.dlt`;
let publisher: Publisher;
let consumer: EventConsumer;

const cancelled = (orderId: string): OrderflowEvent =>
  createEvent(
    "OrderCancelled",
    { orderId, reason: "CUSTOMER_REQUESTED" },
    {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: `corr-${orderId}`,
      causationId: null,
      source: "test",
    },
  );

const poisonKey = randomUUID();
const flakyKey = randomUUID();
const brokenKey = randomUUID();
const slowKey = randomUUID();
const handled = new Map<string, IncomingEvent>();
const attempts = new Map<string, number>();
let releaseSlow: () => void;
const slowGate = new Promise<void>((r) => (releaseSlow = r));
const aheadKey = randomUUID();
let releaseAhead: () => void;
const aheadGate = new Promise<void>((r) => (releaseAhead = r));
/** records the member fetched and queued but has not yet handed to a run (the observer's gauge) */
let queuedNow = 0;

beforeAll(async () => {
  await ensureTopics(client);
  await ensureTopic(client, { name: dlt, partitions: 1, retentionMs: 3_600_000 });
  publisher = createPublisher(client);
  await publisher.connect();
  consumer = createEventConsumer(client, publisher, {
    groupId: group,
    topics: ["payment-events"],
    // every test of the consume loop runs with records fetched ahead (the e2e and reliability
    // suites run the services' default)
    fetchAhead: true,
    observer: { queued: (o) => void (queuedNow = o.records) },
    retry: { maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 50 },
    // all or nothing for the run, as a database transaction would be
    handler: async (run) => {
      const keys = run.map((msg) => msg.key ?? "");
      for (const key of keys) attempts.set(key, (attempts.get(key) ?? 0) + 1);
      // what node-postgres throws while the database restarts: a network outage by its code
      if (keys.includes(flakyKey) && attempts.get(flakyKey)! < 3)
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:54329"), { code: "ECONNREFUSED" });
      if (keys.includes(brokenKey)) throw new NonRetriableError("business rule broken", "RULE");
      if (keys.includes(slowKey)) await slowGate;
      if (keys.includes(aheadKey)) await aheadGate;
      for (const msg of run) handled.set(msg.key ?? "", msg);
    },
  });
  await consumer.start();
  await vi.waitFor(() => expect(consumer.isReady(), "the consumer to join its group").toBe(true), poll);
});

afterAll(async () => {
  releaseSlow?.();
  releaseAhead?.();
  await consumer?.stop();
  await publisher?.disconnect();
  await deletePrefixedTopics(client);
});

describe("the consume loop", () => {
  it("dead-letters a poison record with its headers and moves on to the next record of the partition", async () => {
    const valid = refunded(poisonKey);
    await publisher.send([
      {
        topic: "payment-events",
        key: poisonKey,
        value: "this is not json",
        headers: { "correlation-id": "poison-corr", "x-test": "1" },
      },
      recordForEvent(valid),
    ]);
    await vi.waitFor(() => expect(handled.get(poisonKey), "the valid record after the poison one").toBeDefined(), poll);
    expect(handled.get(poisonKey)!.event.id).toBe(valid.id);
    const dead = (await readTopic(client, dlt, { until: (rs) => rs.some((r) => r.key === poisonKey) })).find(
      (r) => r.key === poisonKey,
    );
    expect(dead).toMatchObject({ key: poisonKey });
    expect(dead!.value?.toString()).toBe("this is not json");
    expect(dead!.headers).toMatchObject({
      "correlation-id": "poison-corr",
      "x-test": "1",
      "dlt-error-class": "UndecodableRecord",
      "dlt-original-topic": "payment-events",
      "dlt-consumer-group": group,
      "dlt-attempts": "1",
    });
    expect(dead!.headers["dlt-error-message"]).toMatch(/not JSON/);
    for (const h of [
      "dlt-original-partition",
      "dlt-original-offset",
      "dlt-original-timestamp",
      "dlt-first-failure-at",
      "dlt-last-failure-at",
    ])
      expect(dead!.headers[h]).toBeTruthy();
  });

  it("retries a retriable failure with backoff and succeeds without a dead letter", async () => {
    await publisher.send([recordForEvent(refunded(flakyKey))]);
    await vi.waitFor(() => expect(handled.get(flakyKey), "the flaky record to be handled").toBeDefined(), poll);
    expect(attempts.get(flakyKey)).toBe(3);
  });

  it("dead-letters a non-retriable failure at once", async () => {
    const e = refunded(brokenKey);
    await publisher.send([recordForEvent(e)]);
    const records = await readTopic(client, dlt, { until: (rs) => rs.some((r) => r.key === brokenKey) });
    const dead = records.find((r) => r.key === brokenKey)!;
    expect(dead.headers).toMatchObject({
      "dlt-error-class": "NonRetriableError",
      "dlt-error-message": "business rule broken",
      "dlt-attempts": "1",
      "event-id": e.id,
    });
    expect(attempts.get(brokenKey)).toBe(1);
    expect(handled.has(brokenKey)).toBe(false);
  });

  it("commits an offset only after its record is handled; lag returns to 0", async () => {
    await publisher.send([recordForEvent(refunded(slowKey))]);
    await vi.waitFor(() => expect(attempts.get(slowKey), "the slow handler to start").toBe(1), poll);
    const during = await consumerGroupLag(client, group, ["payment-events"]);
    expect(caughtUp(during)).toBe(false);
    releaseSlow();
    await vi.waitFor(
      async () => expect(caughtUp(await consumerGroupLag(client, group, ["payment-events"])), "lag 0").toBe(true),
      poll,
    );
    expect(handled.has(slowKey)).toBe(true);
  });

  it("fetches on while a run is in hand: a record sent meanwhile waits in the member's queue, uncommitted until handled", async () => {
    await publisher.send([recordForEvent(refunded(aheadKey))]);
    await vi.waitFor(() => expect(attempts.get(aheadKey), "the held run to start").toBe(1), poll);
    // the same key, so the same partition: it must wait for the held run
    const next = refunded(aheadKey);
    await publisher.send([recordForEvent(next)]);
    // kafkajs alone would fetch again only once the held run's batch returned
    await vi.waitFor(() => expect(queuedNow, "the next record fetched while the run is in hand").toBe(1), poll);
    expect(attempts.get(aheadKey), "queued, not handed to the handler").toBe(1);
    expect(caughtUp(await consumerGroupLag(client, group, ["payment-events"])), "nothing committed past it").toBe(
      false,
    );
    releaseAhead();
    await vi.waitFor(
      async () => expect(caughtUp(await consumerGroupLag(client, group, ["payment-events"])), "lag 0").toBe(true),
      poll,
    );
    expect(handled.get(aheadKey)!.event.id, "the queued record handled after the held one").toBe(next.id);
    expect(queuedNow).toBe(0);
  });

  it("commits in the background, yet a member that stops has its commits land first: the next member redelivers nothing", async () => {
    const seen = new Map<string, number>();
    const events = Array.from({ length: 30 }, () => cancelled(randomUUID()));
    let stopping: Promise<void> | undefined;
    // a rebalance while the first member runs refuses its commits from the old generation: then a
    // redelivery is at-least-once working, not a lost flush (seen once on a broker seconds old)
    let rebalanced = false;
    const member = (): EventConsumer => {
      const c = createEventConsumer(client, publisher, {
        groupId: "kafka-int-stop",
        observer: { lifecycle: (o) => void (o.event === "rebalancing" && !stopping && (rebalanced = true)) },
        // a topic of its own in this file: payment-events holds records that fail on purpose
        topics: ["order-events"],
        handler: async (run) => {
          for (const msg of run) {
            seen.set(msg.event.id, (seen.get(msg.event.id) ?? 0) + 1);
            // shut down while the last record is being handled: its commit is sent after this returns
            if (msg.event.id === events.at(-1)!.id && !stopping) stopping = c.stop();
          }
        },
      });
      return c;
    };
    const first = member();
    await first.start();
    await vi.waitFor(() => expect(first.isReady(), "the first member to join").toBe(true), poll);
    await publisher.send(events.map((e) => recordForEvent(e)));
    await vi.waitFor(() => expect(stopping, "the last record to be handled").toBeDefined(), poll);
    await stopping;
    const second = member();
    await second.start();
    try {
      await vi.waitFor(() => expect(second.isReady(), "the second member to join").toBe(true), poll);
      const marker = cancelled(randomUUID());
      await publisher.send([recordForEvent(marker)]);
      // what the first member had not reached comes to the second; what it had handled must not
      await vi.waitFor(
        () =>
          expect(
            seen.has(marker.id) && events.every((e) => seen.has(e.id)),
            "every record and the marker handled",
          ).toBe(true),
        poll,
      );
      expect(events.filter((e) => (seen.get(e.id) ?? 0) < 1)).toEqual([]);
      if (!rebalanced) expect(events.filter((e) => seen.get(e.id) !== 1)).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe("older event versions", () => {
  it("are upcast on consumption and on redrive", async () => {
    const orderId = randomUUID();
    const v1 = {
      id: randomUUID(),
      type: "OrderPlaced",
      version: 1,
      occurredAt: new Date().toISOString(),
      aggregateId: orderId,
      correlationId: "v1-corr",
      causationId: null,
      source: "order",
      data: {
        orderId,
        customerId: "c",
        items: [{ sku: "A", quantity: 1, unitPrice: 1 }],
        currency: "EUR",
        totalAmount: 1,
        shippingAddress: { name: "A", line1: "l", city: "c", postalCode: "1", country: "DE" },
      },
    };
    const seenVersions: { version: number; speed: unknown }[] = [];
    let failOnce = true;
    const upcastGroup = "kafka-int-upcast";
    await ensureTopic(client, { name: `order-events.${upcastGroup}.dlt`, partitions: 1, retentionMs: 3_600_000 });
    const c = createEventConsumer(client, publisher, {
      groupId: upcastGroup,
      topics: ["order-events"],
      // every record alone: the handler below is not all or nothing for a run
      runs: { maxRecords: 1, maxCombinedRecords: 1 },
      handler: async ([msg]) => {
        const { event } = msg!;
        if (event.type !== "OrderPlaced" || event.data.orderId !== orderId) return;
        seenVersions.push({ version: event.version, speed: event.data.shippingSpeed });
        if (failOnce) {
          failOnce = false;
          throw new NonRetriableError("not yet");
        }
      },
    });
    await c.start();
    try {
      await publisher.send([
        {
          topic: "order-events",
          key: orderId,
          value: JSON.stringify(v1),
          headers: { "event-id": v1.id, "event-type": "OrderPlaced", "event-version": "1" },
        },
      ]);
      await vi.waitFor(
        async () =>
          expect(
            await listDeadLetters(client, { group: upcastGroup, sources: ["order-events"], key: orderId }),
            "the dead letter of the v1 record",
          ).toHaveLength(1),
        poll,
      );
      await redrive(client, publisher, {
        group: upcastGroup,
        sources: ["order-events"],
        key: orderId,
        operator: "test",
      });
      await vi.waitFor(() => expect(seenVersions, "the redriven record").toHaveLength(2), poll);
      // the record on the wire is v1 both times; the handler always sees v2
      expect(seenVersions).toEqual([
        { version: 2, speed: "STANDARD" },
        { version: 2, speed: "STANDARD" },
      ]);
    } finally {
      await c.stop();
    }
  });
});

describe("runs", () => {
  it("go to the handler in one call; a failing run is handled again record by record, the bad one dead-lettered alone", async () => {
    const batchGroup = "kafka-int-batch";
    const batchDlt = `payment-events.${batchGroup}.dlt`;
    await ensureTopic(client, { name: batchDlt, partitions: 1, retentionMs: 3_600_000 });
    const key = randomUUID(); // one key: one partition, one ordered run
    const bad = randomUUID();
    const applied = new Map<string, number>(); // event id → times applied
    const runs: number[] = [];
    const apply = (msg: IncomingEvent) => applied.set(msg.event.id, (applied.get(msg.event.id) ?? 0) + 1);
    const badEvent = refunded(key);
    const events = Array.from({ length: 30 }, () => refunded(key));
    events.splice(20, 0, badEvent);
    const c = createEventConsumer(client, publisher, {
      groupId: batchGroup,
      topics: ["payment-events"],
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
      runs: { maxRecords: 50 },
      handler: async (msgs) => {
        runs.push(msgs.length);
        // all or nothing, as a database transaction would be
        if (msgs.some((m) => m.event.id === badEvent.id))
          throw new NonRetriableError(
            msgs.length > 1 ? `run of ${msgs.length} holds a bad record` : "this one is bad",
            "BAD",
          );
        for (const m of msgs) apply(m);
      },
    });
    // published before the group joins, so they arrive as one batch
    await publisher.send([
      ...events.slice(0, 10).map((e) => recordForEvent(e)),
      { topic: "payment-events", key, value: "not json", headers: { "correlation-id": bad } },
      ...events.slice(10).map((e) => recordForEvent(e)),
    ]);
    await c.start();
    try {
      await vi.waitFor(
        () =>
          expect(
            events.filter((e) => e !== badEvent).every((e) => applied.has(e.id)),
            "every good record applied",
          ).toBe(true),
        { ...poll, timeout: 60_000 },
      );
      await vi.waitFor(
        async () =>
          expect(caughtUp(await consumerGroupLag(client, batchGroup, ["payment-events"])), "lag 0").toBe(true),
        { ...poll, timeout: 60_000 },
      );
    } finally {
      await c.stop();
    }
    expect([...applied.values()].every((n) => n === 1)).toBe(true); // each exactly once
    expect(applied.has(badEvent.id)).toBe(false);
    expect(Math.max(...runs)).toBeGreaterThan(1); // runs did reach the handler
    // the group read the topic from its start: earlier tests' poison is in its dead letters too
    const mine = (
      await readTopic(client, batchDlt, { until: (rs) => rs.filter((r) => r.key === key).length >= 2 })
    ).filter((r) => r.key === key);
    expect(mine.map((d) => d.headers["dlt-error-class"]).sort()).toEqual(["NonRetriableError", "UndecodableRecord"]);
  });

  it("combines the runs of partitions that are ready together into one call (group commit); a bad run in such a call still fails alone", async () => {
    const groupId = "kafka-int-group-commit";
    await ensureTopic(client, { name: `payment-events.${groupId}.dlt`, partitions: 1, retentionMs: 3_600_000 });
    // many keys: the records spread over every partition of the topic
    const keys = Array.from({ length: 24 }, () => randomUUID());
    const events = keys.flatMap((k) => Array.from({ length: 5 }, () => refunded(k)));
    const badEvent = events[7]!;
    const applied = new Map<string, number>();
    const apply = (msg: IncomingEvent) => applied.set(msg.event.id, (applied.get(msg.event.id) ?? 0) + 1);
    const calls: { partitions: number; records: number; failed: boolean }[] = [];
    const oneByOne: { id: string; partition: number }[] = [];
    // a record the record path handles alone comes after the failed call that held it
    const alone = new Set<string>();
    const c = createEventConsumer(client, publisher, {
      groupId,
      topics: ["payment-events"],
      retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 20 },
      handler: async (msgs) => {
        const [first] = msgs;
        if (msgs.length === 1 && alone.has(first!.event.id))
          oneByOne.push({ id: first!.event.id, partition: first!.partition });
        const failed = msgs.some((m) => m.event.id === badEvent.id);
        calls.push({ partitions: new Set(msgs.map((m) => m.partition)).size, records: msgs.length, failed });
        if (failed) {
          for (const m of msgs) alone.add(m.event.id);
          throw new NonRetriableError(`call of ${msgs.length} holds the bad record`, "BAD");
        }
        for (const m of msgs) apply(m);
      },
    });
    await publisher.send(events.map((e) => recordForEvent(e)));
    await c.start();
    try {
      await vi.waitFor(
        () =>
          expect(
            events.every((e) => e === badEvent || applied.has(e.id)),
            "every good record applied",
          ).toBe(true),
        { ...poll, timeout: 60_000 },
      );
      await vi.waitFor(
        async () => expect(caughtUp(await consumerGroupLag(client, groupId, ["payment-events"])), "lag 0").toBe(true),
        { ...poll, timeout: 60_000 },
      );
    } finally {
      await c.stop();
    }
    expect([...applied.values()].every((n) => n === 1)).toBe(true);
    expect(applied.has(badEvent.id)).toBe(false);
    // one call held the runs of several partitions
    expect(Math.max(...calls.map((x) => x.partitions))).toBeGreaterThan(1);
    // only the bad record's own partition run went record by record, not the runs combined with it
    const badOne = oneByOne.find((o) => o.id === badEvent.id);
    expect(badOne).toBeDefined();
    expect(oneByOne.filter((o) => o.partition !== badOne!.partition)).toEqual([]);
  });
});

describe("the publisher", () => {
  it("tells where the broker stored each record it sent: the partition and offset a reader finds it at", async () => {
    const keys = Array.from({ length: 4 }, () => randomUUID());
    const events = keys.flatMap((k) => [cancelled(k), cancelled(k)]);
    const placements = await publisher.send(events.map((e) => recordForEvent(e)));
    const onLog = await readTopicToEnd(client, "order-events");
    const at = new Map(onLog.map((r) => [r.headers["event-id"], `${r.partition}@${r.offset}`]));
    expect(placements.map((p) => `${p.partition}@${p.offset}`)).toEqual(events.map((e) => at.get(e.id)));
  });
});
