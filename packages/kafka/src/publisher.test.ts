import { describe, expect, it } from "vitest";
import type { Message, RecordMetadata } from "kafkajs";
import { placeAcknowledged, unacknowledged, type Placement } from "./publisher.js";

const ack = (topicName: string, partition: number): RecordMetadata => ({
  topicName,
  partition,
  errorCode: 0,
  baseOffset: "0",
  logAppendTime: "-1",
  logStartOffset: "0",
});

describe("unacknowledged", () => {
  const a: Message = { key: "a", value: "1" };
  const b: Message = { key: "b", value: "2" };
  const c: Message = { key: "c", value: "3" };
  const partitions = new Map<Message, number>([
    [a, 0],
    [b, 1],
    [c, 1],
  ]);

  it("is empty when every partition a message went to is acknowledged", () => {
    expect(
      unacknowledged([{ topic: "t", messages: [a, b, c] }], (m) => partitions.get(m), [ack("t", 0), ack("t", 1)]),
    ).toEqual([]);
  });

  it("returns the messages of a partition the response leaves out, in their order (the kafkajs retry that skips a partition)", () => {
    expect(unacknowledged([{ topic: "t", messages: [a, b, c] }], (m) => partitions.get(m), [ack("t", 0)])).toEqual([
      { topic: "t", partition: 1, messages: [b, c] },
    ]);
  });

  it("tells topics apart, and trusts a message's own partition over the partitioner's", () => {
    const pinned: Message = { key: "a", value: "4", partition: 1 };
    expect(
      unacknowledged(
        [
          { topic: "t", messages: [a] },
          { topic: "u", messages: [pinned] },
        ],
        (m) => partitions.get(m),
        [ack("t", 0), ack("u", 0)],
      ),
    ).toEqual([{ topic: "u", partition: 1, messages: [pinned] }]);
  });

  it("counts a message whose partition is unknown as not acknowledged", () => {
    expect(unacknowledged([{ topic: "t", messages: [a] }], () => undefined, [ack("t", 0)])).toEqual([
      { topic: "t", partition: undefined, messages: [a] },
    ]);
  });
});

describe("placeAcknowledged", () => {
  it("gives each message its partition and offset: the partition's base offset, then one up per message", () => {
    const a: Message = { key: "a", value: "1" };
    const b: Message = { key: "b", value: "2" };
    const c: Message = { key: "c", value: "3" };
    const pinned: Message = { key: "d", value: "4", partition: 2 };
    const partitions = new Map<Message, number>([
      [a, 1],
      [b, 0],
      [c, 1],
    ]);
    const placed = new Map<Message, Placement>();
    placeAcknowledged(
      [
        { topic: "t", messages: [a, b, c] },
        { topic: "u", messages: [pinned] },
      ],
      (m) => partitions.get(m),
      [
        { ...ack("t", 1), baseOffset: "41" },
        { ...ack("t", 0), baseOffset: "7" },
        { ...ack("u", 2), baseOffset: "9007199254740993" },
      ],
      (m, p) => placed.set(m, p),
    );
    expect([a, b, c, pinned].map((m) => placed.get(m))).toEqual([
      { partition: 1, offset: "41" },
      { partition: 0, offset: "7" },
      { partition: 1, offset: "42" },
      { partition: 2, offset: "9007199254740993" },
    ]);
  });

  it("leaves out a message whose partition was not acknowledged", () => {
    const a: Message = { key: "a", value: "1", partition: 3 };
    const placed: Message[] = [];
    placeAcknowledged(
      [{ topic: "t", messages: [a] }],
      () => undefined,
      [ack("t", 0)],
      (m) => placed.push(m),
    );
    expect(placed).toEqual([]);
  });
});
