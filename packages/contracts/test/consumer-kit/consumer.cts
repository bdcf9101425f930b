// TypeScript, CommonJS: the import below compiles to require("@orderflow/contracts").
import { decodeEvent, HEADERS } from "@orderflow/contracts";
import type { OrderflowEvent } from "@orderflow/contracts";

export function handle(value: string | null, headers: Record<string, string>): string {
  const r = decodeEvent(value, "order-events");
  if (!r.ok) return `dead-letter (${r.reason}): ${r.message}`;
  const event: OrderflowEvent = r.event;
  return `${headers[HEADERS.eventType]}/${event.type} v${event.version}`;
}
