import { createEvent, HEADERS } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { outboxInsertSql, outboxRowFor } from "./outbox.js";
import { joinSql, sql } from "./statement.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const meta = {
  id: "0193a5b0-0000-7000-8000-0000000000a1",
  occurredAt: "2026-01-01T00:00:00.000Z",
  correlationId: "corr-1",
  causationId: "cause-1",
  source: "order",
};

describe("outboxRowFor", () => {
  it("routes the event by the registry and carries the envelope as the standard headers", () => {
    const event = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta);
    const row = outboxRowFor(event);
    expect(row).toEqual({
      eventId: meta.id,
      aggregateId: orderId,
      topic: "order-events",
      key: orderId,
      eventType: "OrderCancelled",
      payload: event,
      headers: {
        [HEADERS.eventId]: meta.id,
        [HEADERS.eventType]: "OrderCancelled",
        [HEADERS.eventVersion]: String(event.version),
        [HEADERS.correlationId]: "corr-1",
        [HEADERS.causationId]: "cause-1",
        [HEADERS.source]: "order",
        [HEADERS.contentType]: "application/json",
      },
    });
  });

  it("adds extra headers such as traceparent, and leaves out a missing causation id", () => {
    const event = createEvent(
      "PaymentRefunded",
      { orderId, paymentId: orderId, amount: 1, currency: "EUR" },
      { ...meta, causationId: null },
    );
    const row = outboxRowFor(event, {
      [HEADERS.traceparent]: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    });
    expect(row.topic).toBe("payment-events");
    expect(row.headers[HEADERS.traceparent]).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(row.headers).not.toHaveProperty(HEADERS.causationId);
    expect(Object.values(row.headers).every((v) => typeof v === "string")).toBe(true);
  });
});

describe("outboxInsertSql", () => {
  it("numbers its placeholders from where the enclosing statement's end", () => {
    const event = createEvent("OrderCancelled", { orderId, reason: "CUSTOMER_REQUESTED" }, meta);
    const insert = outboxInsertSql([outboxRowFor(event), outboxRowFor(event)]);
    const { text, values } =
      sql`WITH before AS (SELECT ${joinSql([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => sql`${n}`))}) ${insert}`;
    expect(text).toMatch(/VALUES \(\$10::uuid, \$11, .*\$16::jsonb\), \(\$17::uuid, .*\$23::jsonb\)$/);
    expect(insert.values).toHaveLength(14);
    expect(values[9]).toBe(meta.id);
  });
});
