import { eventHeaders, keyOf, topicOf, type OrderflowEvent } from "@orderflow/contracts";

export interface OutgoingRecord {
  topic: string;
  key: string | null;
  value: string | Buffer | null;
  headers: Record<string, string>;
}

export function recordForEvent(event: OrderflowEvent, extraHeaders?: Record<string, string>): OutgoingRecord {
  return {
    topic: topicOf(event.type),
    key: keyOf(event),
    value: JSON.stringify(event),
    headers: eventHeaders(event, extraHeaders),
  };
}

export function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined || v === null) continue;
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
  }
  return out;
}
