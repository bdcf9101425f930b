// TypeScript, ESM: what another team's consumer looks like. Typechecked with `tsc --strict` under
// moduleResolution NodeNext (and run) and Bundler.
import { decodeEvent, HEADERS, type EventOf, type OrderflowEvent } from "@orderflow/contracts";

export function describe(event: OrderflowEvent): string {
  switch (event.type) {
    case "OrderPlaced":
      return `${event.data.orderId} placed: ${event.data.totalAmount} ${event.data.currency}, ${event.data.shippingSpeed}`;
    case "OrderPaid":
    case "OrderShipped":
    case "OrderCancelled":
    case "PaymentAuthorized":
    case "PaymentDeclined":
    case "PaymentRefunded":
    case "ShipmentDispatched":
    case "ShipmentCancelled":
      return `${event.type} ${event.data.orderId}`;
    default: {
      const unknownType: never = event;
      return String(unknownType);
    }
  }
}

export function handle(value: Uint8Array | string | null, headers: Record<string, string>): string {
  const r = decodeEvent(value, "order-events");
  if (!r.ok) return `dead-letter (${r.reason}): ${r.message}`;
  const placed: EventOf<"OrderPlaced"> | undefined = r.event.type === "OrderPlaced" ? r.event : undefined;
  return `${headers[HEADERS.eventId] === r.event.id ? "ok" : "header mismatch"} ${describe(r.event)}${placed ? ` (${placed.data.items.length} item)` : ""}`;
}
