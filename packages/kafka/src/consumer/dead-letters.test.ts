import { describe, expect, it } from "vitest";
import { fakePublisher, io, silent } from "../../test/fakes.js";
import { memoryKeyParking, type ParkedAt } from "../parking.js";
import { DeadLetters } from "./dead-letters.js";
import { Aborted } from "./io.js";

const src = {
  topic: "order-events",
  partition: 1,
  offset: "41",
  timestamp: "1700000000000",
  key: Buffer.from("order-1"),
  value: Buffer.from("{}"),
  headers: { "correlation-id": Buffer.from("c-1") },
};
const at = new Date("2026-01-01T00:00:00Z");
const failure = {
  errorClass: "NonRetriableError",
  errorMessage: "bad",
  attempts: 1,
  firstFailureAt: at,
  lastFailureAt: at,
};

describe("dead letters", () => {
  it("go to the group's dead-letter topic with the original key, value and headers", async () => {
    const publisher = fakePublisher();
    await new DeadLetters({ publisher, group: "payment" }).publish(src, failure, silent, io());
    expect(publisher.sent).toEqual([
      expect.objectContaining({ topic: "order-events.payment.dlt", key: "order-1", value: src.value }),
    ]);
    expect(publisher.sent[0]!.headers).toMatchObject({
      "correlation-id": "c-1",
      "dlt-original-offset": "41",
      "dlt-consumer-group": "payment",
    });
  });

  it("are published again until the broker acknowledges one", async () => {
    const publisher = fakePublisher(2);
    await new DeadLetters({ publisher, group: "payment" }).publish(src, failure, silent, io());
    expect(publisher.tries).toBe(3);
    expect(publisher.sent).toHaveLength(1);
  });

  it("are abandoned, uncommitted, when the batch is given up", async () => {
    const publisher = fakePublisher(Infinity);
    await expect(
      new DeadLetters({ publisher, group: "payment" }).publish(
        src,
        failure,
        silent,
        io(() => false),
      ),
    ).rejects.toBeInstanceOf(Aborted);
  });

  it("park the record's key before the record is published", async () => {
    const parking = memoryKeyParking();
    const publisher = fakePublisher();
    const order: string[] = [];
    const blocked = new Map<string, ParkedAt>();
    const dl = new DeadLetters({
      publisher: {
        send: async (r) => (order.push(`sent, parked ${parking.entries.has("order-1")}`), publisher.send(r)),
      },
      group: "payment",
      parking,
    });
    expect(await dl.fail(src, failure, silent, io(), blocked, "r-7")).toBe("dead-lettered");
    expect(order).toEqual(["sent, parked true"]);
    expect(blocked.get("order-1")).toEqual({ topic: "order-events", partition: 1, offset: "41", redriveId: "r-7" });
  });
});
