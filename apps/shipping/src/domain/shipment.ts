// What the shipping service does for each order event, and the dispatch of a pending shipment.
// Pure: ids, time and the carrier choice are data.
import type { EventData, EventOnTopic } from "@orderflow/contracts";

type ShipmentStatus = "PENDING" | "DISPATCHED" | "CANCELLED";

export interface Shipment {
  id: string;
  orderId: string;
  status: ShipmentStatus;
  country: string;
  carrier?: string | null;
  trackingNumber?: string | null;
}

export type OrderTopicEvent = EventOnTopic<"order-events">;

export type ShippingAction =
  | { kind: "create"; orderId: string; country: string }
  | { kind: "cancel"; shipment: Shipment; reason: string }
  | { kind: "none"; why: string };

export function actionFor(event: OrderTopicEvent, current: Shipment | undefined): ShippingAction {
  switch (event.type) {
    case "OrderPaid":
      if (current) return { kind: "none", why: `order already has shipment ${current.id} (${current.status})` };
      return { kind: "create", orderId: event.data.orderId, country: event.data.shippingAddress.country };
    case "OrderCancelled":
      if (current?.status === "PENDING")
        return { kind: "cancel", shipment: current, reason: `order cancelled: ${event.data.reason}` };
      // a shipment already handed to a carrier cannot be called back here; the order stays
      // CANCELLED (its aggregate decides) and the parcel is a return for customer service
      return { kind: "none", why: current ? `shipment is ${current.status}` : "no shipment for this order" };
    case "OrderPlaced":
    case "OrderShipped":
      return { kind: "none", why: `${event.type} needs nothing from shipping` };
    default:
      return event satisfies never;
  }
}

/** The simulated carrier choice: deterministic by destination country. */
export function carrierFor(country: string): string {
  const byCountry: Record<string, string> = { DE: "DHL", AT: "DHL", US: "UPS", GB: "Royal Mail", FR: "Colissimo" };
  return byCountry[country] ?? "DPD";
}

function trackingNumberFor(carrier: string, shipmentId: string): string {
  const prefix = carrier
    .replace(/[^A-Za-z]/g, "")
    .slice(0, 3)
    .toUpperCase();
  return `${prefix}${shipmentId.replace(/-/g, "").slice(-12).toUpperCase()}`;
}

export type ShippingOutcome =
  | { type: "ShipmentDispatched"; data: EventData<"ShipmentDispatched"> }
  | { type: "ShipmentCancelled"; data: EventData<"ShipmentCancelled"> };

export function dispatch(s: Shipment): { shipment: Shipment; outcome: ShippingOutcome } {
  if (s.status !== "PENDING") throw new Error(`shipment ${s.id} is ${s.status}, not PENDING`);
  const carrier = carrierFor(s.country);
  const trackingNumber = trackingNumberFor(carrier, s.id);
  return {
    shipment: { ...s, status: "DISPATCHED", carrier, trackingNumber },
    outcome: { type: "ShipmentDispatched", data: { orderId: s.orderId, shipmentId: s.id, carrier, trackingNumber } },
  };
}

export function cancel(s: Shipment, reason: string): { shipment: Shipment; outcome: ShippingOutcome } {
  return {
    shipment: { ...s, status: "CANCELLED" },
    outcome: { type: "ShipmentCancelled", data: { orderId: s.orderId, shipmentId: s.id, reason } },
  };
}
