// The order side of the saga: which command an event from another service causes.
import type { EventOnTopic } from "@orderflow/contracts";
import type { OrderCommand } from "./order.js";

export type SagaInput = EventOnTopic<"payment-events"> | EventOnTopic<"shipping-events">;

export function commandFor(event: SagaInput): OrderCommand | undefined {
  const d = event.data;
  switch (event.type) {
    case "PaymentAuthorized":
      return {
        type: "RecordPaymentAuthorized",
        orderId: d.orderId,
        paymentId: event.data.paymentId,
        amount: event.data.amount,
        currency: event.data.currency,
      };
    case "PaymentDeclined":
      return {
        type: "RecordPaymentDeclined",
        orderId: d.orderId,
        paymentId: event.data.paymentId,
        reason: event.data.reason,
      };
    case "ShipmentDispatched":
      return {
        type: "RecordShipmentDispatched",
        orderId: d.orderId,
        shipmentId: event.data.shipmentId,
        carrier: event.data.carrier,
        trackingNumber: event.data.trackingNumber,
      };
    case "PaymentRefunded":
    case "ShipmentCancelled":
      return undefined; // compensations finished elsewhere; the order is already CANCELLED
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
