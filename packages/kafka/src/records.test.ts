import { createEvent } from "@orderflow/contracts";
import { describe, expect, it } from "vitest";
import { deadLetterRecord } from "./dead-letter.js";
import { recordForEvent } from "./records.js";

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const event = createEvent(
  "PaymentRefunded",
  { orderId, paymentId: orderId, amount: 5, currency: "EUR" },
  {
    id: "0193a5b0-0000-7000-8000-0000000000e1",
    occurredAt: "2026-01-01T00:00:00.000Z",
    correlationId: "corr",
    causationId: "cause",
    source: "payment",
  },
);

describe("recordForEvent", () => {
  it("routes by the registry, keys by order id and carries the standard headers", () => {
    const r = recordForEvent(event, { traceparent: "00-abc-def-01" });
    expect(r.topic).toBe("payment-events");
    expect(r.key).toBe(orderId);
    expect(JSON.parse(String(r.value))).toEqual(event);
    expect(r.headers).toEqual({
      "event-id": event.id,
      "event-type": "PaymentRefunded",
      "event-version": "1",
      "correlation-id": "corr",
      "causation-id": "cause",
      source: "payment",
      "content-type": "application/json",
      traceparent: "00-abc-def-01",
    });
  });
});

describe("deadLetterRecord", () => {
  it("keeps key, value and headers and adds where from, why and how often", () => {
    const first = new Date("2026-01-01T00:00:00Z");
    const last = new Date("2026-01-01T00:00:05Z");
    const r = deadLetterRecord(
      {
        topic: "order-events",
        partition: 3,
        offset: "42",
        timestamp: "1700000000000",
        key: Buffer.from("k"),
        value: Buffer.from("v"),
        headers: { "correlation-id": Buffer.from("c") },
      },
      "payment",
      { errorClass: "InvalidEvent", errorMessage: "bad", attempts: 3, firstFailureAt: first, lastFailureAt: last },
    );
    expect(r).toMatchObject({ topic: "order-events.payment.dlt", key: "k", value: Buffer.from("v") });
    expect(r.headers).toEqual({
      "correlation-id": "c",
      "dlt-error-class": "InvalidEvent",
      "dlt-error-message": "bad",
      "dlt-original-topic": "order-events",
      "dlt-original-partition": "3",
      "dlt-original-offset": "42",
      "dlt-original-timestamp": "1700000000000",
      "dlt-consumer-group": "payment",
      "dlt-attempts": "3",
      "dlt-first-failure-at": first.toISOString(),
      "dlt-last-failure-at": last.toISOString(),
    });
  });
});
