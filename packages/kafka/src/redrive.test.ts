import { describe, expect, it } from "vitest";
import { distinctDeadLetters, type DeadLetter } from "./redrive.js";

const dl = (id: string, over: Partial<DeadLetter> = {}): DeadLetter => ({
  id,
  group: "payment",
  dltTopic: "order-events.payment.dlt",
  originalTopic: "order-events",
  originalPartition: 2,
  originalOffset: "41",
  key: "k",
  errorClass: "E",
  errorMessage: "m",
  attempts: 5,
  redriveCount: 0,
  failedAt: "2026-11-25T00:00:00.000Z",
  state: "pending",
  record: {
    topic: "order-events.payment.dlt",
    partition: 0,
    offset: id,
    timestamp: id,
    key: "k",
    value: null,
    headers: {},
  },
  ...over,
});

describe("distinctDeadLetters", () => {
  it("keeps the first of two copies of one failure (a crash between the dead-letter write and the offset commit)", () => {
    expect(distinctDeadLetters([dl("1"), dl("2")]).map((d) => d.id)).toEqual(["1"]);
  });
  it("keeps a failure again after a redrive, and failures of other records or groups", () => {
    const list = [
      dl("1"),
      dl("2", { redriveCount: 1 }),
      dl("3", { originalOffset: "42" }),
      dl("4", { group: "shipping" }),
    ];
    expect(distinctDeadLetters(list).map((d) => d.id)).toEqual(["1", "2", "3", "4"]);
  });
  it("never merges records without the original position (not written by Orderflow)", () => {
    expect(distinctDeadLetters([dl("1", { originalTopic: "" }), dl("2", { originalTopic: "" })])).toHaveLength(2);
  });
});
