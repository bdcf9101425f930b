import { describe, expect, it } from "vitest";
import type { Message, RecordMetadata } from "kafkajs";
import { unacknowledged } from "./publisher.js";

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
