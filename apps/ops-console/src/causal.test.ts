import { describe, expect, it } from "vitest";
import { causalOrder, type TimelineEntry } from "./causal.js";

const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, s)).toISOString();
const e = (eventId: string, type: string, causationId: string | null, second: number): TimelineEntry => ({
  eventId,
  type,
  source: "order",
  occurredAt: at(second),
  topic: "order-events",
  partition: 0,
  offset: "0",
  correlationId: "c",
  causationId,
});

describe("causalOrder", () => {
  it("puts every event after its cause, even when its clock says earlier", () => {
    const placed = e("1", "OrderPlaced", null, 10);
    const authorized = e("2", "PaymentAuthorized", "1", 9); // the payment service's clock is behind
    const paid = e("3", "OrderPaid", "2", 11);
    const shipment = e("4", "ShipmentCreated", "3", 12);
    const out = causalOrder([shipment, paid, authorized, placed]);
    expect(out.map((x) => [x.type, x.depth])).toEqual([
      ["OrderPlaced", 0],
      ["PaymentAuthorized", 1],
      ["OrderPaid", 2],
      ["ShipmentCreated", 3],
    ]);
  });

  it("orders the effects of one cause by time, each followed by its own effects", () => {
    const cancelled = e("1", "OrderCancelled", null, 10);
    const refund = e("2", "PaymentRefunded", "1", 12);
    const stop = e("3", "ShipmentCancelled", "1", 11);
    const after = e("4", "Note", "3", 13);
    expect(causalOrder([refund, stop, cancelled, after]).map((x) => x.eventId)).toEqual(["1", "3", "4", "2"]);
  });

  it("starts a chain for an event whose cause it has not seen, and shows every event of a cycle once", () => {
    const orphan = e("1", "PaymentAuthorized", "missing", 5);
    const x = e("2", "A", "3", 1);
    const y = e("3", "B", "2", 2);
    const out = causalOrder([y, x, orphan]);
    expect(out.map((v) => v.eventId).sort()).toEqual(["1", "2", "3"]);
    expect(out[0]!.eventId).toBe("1");
  });
});
