// Every event type and version, the topic it travels on, and decoding from the wire.
import { z } from "zod";
import { AnyEnvelope, envelopeOf } from "./envelope.js";
import * as E from "./events.js";
import { CONTENT_TYPE_JSON, HEADERS } from "./headers.js";
import type { TopicName } from "./topics.js";

function def<T extends string, V extends number, N extends TopicName, D extends z.ZodType>(type: T, version: V, topic: N, data: D) {
  return { type, version, topic, data, schema: envelopeOf(type, version, data) } as const;
}

export const EVENT_DEFINITIONS = [
  def("OrderPlaced", 1, "order-events", E.OrderPlacedV1),
  def("OrderPaid", 1, "order-events", E.OrderPaidV1),
  def("OrderShipped", 1, "order-events", E.OrderShippedV1),
  def("OrderCancelled", 1, "order-events", E.OrderCancelledV1),
  def("PaymentAuthorized", 1, "payment-events", E.PaymentAuthorizedV1),
  def("PaymentDeclined", 1, "payment-events", E.PaymentDeclinedV1),
  def("PaymentRefunded", 1, "payment-events", E.PaymentRefundedV1),
  def("ShipmentDispatched", 1, "shipping-events", E.ShipmentDispatchedV1),
  def("ShipmentCancelled", 1, "shipping-events", E.ShipmentCancelledV1),
] as const;

type Definitions = (typeof EVENT_DEFINITIONS)[number];
/** Any Orderflow event, as it is on the wire (a discriminated union on `type`). */
export type OrderflowEvent = z.infer<Definitions["schema"]>;
export type EventType = OrderflowEvent["type"];
export type EventOf<T extends EventType> = Extract<OrderflowEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>["data"];
/** Events carried by one topic. */
export type EventOnTopic<N extends TopicName> = z.infer<Extract<Definitions, { topic: N }>["schema"]>;

const byTypeVersion = new Map<string, Definitions>(EVENT_DEFINITIONS.map((d) => [`${d.type}@${d.version}`, d]));

export function eventDefinition(type: string, version: number): Definitions | undefined {
  return byTypeVersion.get(`${type}@${version}`);
}

export function topicOf(type: EventType): TopicName {
  // every version of a type travels on the same topic
  return EVENT_DEFINITIONS.find((d) => d.type === type)!.topic;
}

export function eventTypesOn(topic: TopicName): EventType[] {
  return [...new Set(EVENT_DEFINITIONS.filter((d) => d.topic === topic).map((d) => d.type))];
}

export type DecodeResult =
  | { ok: true; event: OrderflowEvent }
  | { ok: false; reason: "undecodable" | "unknown-type" | "invalid"; message: string; issues?: z.core.$ZodIssue[] };

/** Validate a parsed JSON value as an Orderflow event of a known type and version. */
export function parseEvent(value: unknown, expectedTopic?: TopicName): DecodeResult {
  const base = AnyEnvelope.safeParse(value);
  if (!base.success) return { ok: false, reason: "invalid", message: `envelope: ${z.prettifyError(base.error)}`, issues: base.error.issues };
  const d = eventDefinition(base.data.type, base.data.version);
  if (!d) return { ok: false, reason: "unknown-type", message: `unknown event type ${base.data.type} v${base.data.version}` };
  if (expectedTopic && d.topic !== expectedTopic) {
    return { ok: false, reason: "invalid", message: `${d.type} does not belong on topic ${expectedTopic} (it belongs on ${d.topic})` };
  }
  const r = d.schema.safeParse(value);
  if (!r.success) return { ok: false, reason: "invalid", message: `${d.type} v${d.version}: ${z.prettifyError(r.error)}`, issues: r.error.issues };
  return { ok: true, event: r.data as OrderflowEvent };
}

/** Decode raw record bytes (UTF-8 JSON) into a validated event. */
export function decodeEvent(bytes: Buffer | Uint8Array | string | null, expectedTopic?: TopicName): DecodeResult {
  if (bytes === null) return { ok: false, reason: "undecodable", message: "record has no value" };
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    return { ok: false, reason: "undecodable", message: `value is not JSON: ${(e as Error).message}` };
  }
  return parseEvent(json, expectedTopic);
}

/** The record key of an event, by the key rule of its topic. */
export function keyOf(event: OrderflowEvent): string {
  return event.data.orderId;
}

export interface EventMeta {
  /** uuid v7 */
  id: string;
  occurredAt: string;
  correlationId: string;
  causationId: string | null;
  source: string;
}

/** Build an event of the newest version of its type; the aggregate id is the order id. */
export function createEvent<T extends EventType>(type: T, data: EventData<T>, meta: EventMeta): EventOf<T> {
  const d = EVENT_DEFINITIONS.filter((x) => x.type === type).reduce((a, b) => (b.version > a.version ? b : a));
  return { ...meta, type, version: d.version, aggregateId: (data as { orderId: string }).orderId, data } as EventOf<T>;
}

/** The standard Kafka headers of an event: consumers can route, dedupe and trace without
 *  parsing the value. */
export function eventHeaders(event: OrderflowEvent, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [HEADERS.eventId]: event.id,
    [HEADERS.eventType]: event.type,
    [HEADERS.eventVersion]: String(event.version),
    [HEADERS.correlationId]: event.correlationId,
    ...(event.causationId ? { [HEADERS.causationId]: event.causationId } : {}),
    [HEADERS.source]: event.source,
    [HEADERS.contentType]: CONTENT_TYPE_JSON,
    ...extra,
  };
}
