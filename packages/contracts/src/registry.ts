// Every event type and version, the topic it travels on, and decoding from the wire.
import { z } from "zod";
import { AnyEnvelope, envelopeOf } from "./envelope.js";
import * as E from "./events.js";
import { CONTENT_TYPE_JSON, HEADERS } from "./headers.js";
import { findUnstorableText } from "./text.js";
import type { TopicName } from "./topics.js";

function def<T extends string, V extends number, N extends TopicName, D extends z.ZodType>(
  type: T,
  version: V,
  topic: N,
  data: D,
) {
  return { type, version, topic, data, schema: envelopeOf(type, version, data) } as const;
}

/** The newest version of every event type: what producers publish and consumers handle. */
export const LATEST_DEFINITIONS = [
  def("OrderPlaced", 2, "order-events", E.OrderPlacedV2),
  def("OrderPaid", 1, "order-events", E.OrderPaidV1),
  def("OrderShipped", 1, "order-events", E.OrderShippedV1),
  def("OrderCancelled", 1, "order-events", E.OrderCancelledV1),
  def("PaymentAuthorized", 1, "payment-events", E.PaymentAuthorizedV1),
  def("PaymentDeclined", 1, "payment-events", E.PaymentDeclinedV1),
  def("PaymentRefunded", 1, "payment-events", E.PaymentRefundedV1),
  def("ShipmentDispatched", 1, "shipping-events", E.ShipmentDispatchedV1),
  def("ShipmentCancelled", 1, "shipping-events", E.ShipmentCancelledV1),
] as const;

/** Versions still readable from topics and event stores; upcasters lift them to the newest. */
export const OLDER_DEFINITIONS = [def("OrderPlaced", 1, "order-events", E.OrderPlacedV1)] as const;

export const EVENT_DEFINITIONS = [...OLDER_DEFINITIONS, ...LATEST_DEFINITIONS] as const;

type Definitions = (typeof EVENT_DEFINITIONS)[number];
type Latest = (typeof LATEST_DEFINITIONS)[number];
/** An Orderflow event in the newest version of its type (a discriminated union on `type`):
 *  what every read path hands to code, older versions upcast. */
export type OrderflowEvent = z.infer<Latest["schema"]>;
/** An event in any version that may be on the wire. */
export type WireEvent = z.infer<Definitions["schema"]>;
export type EventType = OrderflowEvent["type"];
export type EventOf<T extends EventType> = Extract<OrderflowEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>["data"];
/** Events carried by one topic. */
export type EventOnTopic<N extends TopicName> = z.infer<Extract<Latest, { topic: N }>["schema"]>;

/** Lift an event one version up. Every older definition has one; they chain. */
type Upcaster = (event: WireEvent) => WireEvent;
export const UPCASTERS: Record<string, Upcaster> = {
  "OrderPlaced@1": (e) =>
    ({
      ...e,
      version: 2,
      data: { ...(e.data as z.infer<typeof E.OrderPlacedV1>), shippingSpeed: "STANDARD" },
    }) as WireEvent,
};

/** The newest version of `event`, through its upcasters. */
export function upcast(event: WireEvent): OrderflowEvent {
  let e = event;
  for (let up = UPCASTERS[`${e.type}@${e.version}`]; up; up = UPCASTERS[`${e.type}@${e.version}`]) e = up(e);
  return e as OrderflowEvent;
}

const byTypeVersion = new Map<string, Definitions>(EVENT_DEFINITIONS.map((d) => [`${d.type}@${d.version}`, d]));

export function eventDefinition(type: string, version: number): Definitions | undefined {
  return byTypeVersion.get(`${type}@${version}`);
}

export function topicOf(type: EventType): TopicName {
  // every version of a type travels on the same topic
  return LATEST_DEFINITIONS.find((d) => d.type === type)!.topic;
}

export function eventTypesOn(topic: TopicName): EventType[] {
  return [...new Set(EVENT_DEFINITIONS.filter((d) => d.topic === topic).map((d) => d.type))];
}

export type DecodeResult =
  | { ok: true; event: OrderflowEvent }
  | { ok: false; reason: "undecodable" | "unknown-type" | "invalid"; message: string; issues?: z.core.$ZodIssue[] };

/** Validate a parsed JSON value as an Orderflow event of a known type and version, and lift it
 *  to the newest version of its type. */
export function parseEvent(value: unknown, expectedTopic?: TopicName): DecodeResult {
  const base = AnyEnvelope.safeParse(value);
  if (!base.success)
    return {
      ok: false,
      reason: "invalid",
      message: `envelope: ${z.prettifyError(base.error)}`,
      issues: base.error.issues,
    };
  const d = eventDefinition(base.data.type, base.data.version);
  if (!d)
    return { ok: false, reason: "unknown-type", message: `unknown event type ${base.data.type} v${base.data.version}` };
  if (expectedTopic && d.topic !== expectedTopic) {
    return {
      ok: false,
      reason: "invalid",
      message: `${d.type} does not belong on topic ${expectedTopic} (it belongs on ${d.topic})`,
    };
  }
  const r = d.schema.safeParse(value);
  if (!r.success)
    return {
      ok: false,
      reason: "invalid",
      message: `${d.type} v${d.version}: ${z.prettifyError(r.error)}`,
      issues: r.error.issues,
    };
  return { ok: true, event: upcast(r.data as WireEvent) };
}

const utf8 = new TextDecoder();

/** Decode raw record bytes (UTF-8 JSON; a Node Buffer is a Uint8Array) into a validated event.
 *  Typed without Node's Buffer so a consumer needs no @types/node. */
export function decodeEvent(bytes: Uint8Array | string | null, expectedTopic?: TopicName): DecodeResult {
  if (bytes === null) return { ok: false, reason: "undecodable", message: "record has no value" };
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === "string" ? bytes : utf8.decode(bytes));
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

/** One reason an event breaks its contract: the field (dotted path inside the event, e.g.
 *  `data.totalAmount`) and what is wrong with it. */
export interface ContractIssue {
  field: string;
  message: string;
}

/** A service tried to create an event its own contract rejects. Never retriable: the same input
 *  builds the same event. HTTP answers it with a 400 naming the field; a consumer dead-letters the
 *  record that caused it, so nothing downstream ever reads the bad event. */
export class ContractViolation extends Error {
  readonly retriable = false as const;
  readonly code = "CONTRACT_VIOLATION" as const;
  constructor(
    readonly eventType: string,
    readonly issues: ContractIssue[],
  ) {
    super(`${eventType} would break its contract: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
    this.name = "ContractViolation";
  }
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join(".");

/** The contract's verdict on an event a producer is about to emit: its schema, and text every
 *  consumer can store (no NUL, no lone surrogates). Empty when it may be published. */
export function contractIssues(event: unknown): ContractIssue[] {
  const r = parseEvent(event);
  if (!r.ok)
    return r.issues?.length
      ? r.issues.map((i) => ({ field: dotted(i.path), message: i.message }))
      : [{ field: "", message: r.message }];
  const text = findUnstorableText(event);
  return text ? [{ field: dotted(text.path), message: text.message }] : [];
}

/** Build an event of the newest version of its type; the aggregate id is the order id. Every
 *  event any Orderflow service emits is made here, so this is where the contract is enforced on
 *  the producing side: an event that fails it throws ContractViolation instead of being written. */
export function createEvent<T extends EventType>(type: T, data: EventData<T>, meta: EventMeta): EventOf<T> {
  const d = LATEST_DEFINITIONS.find((x) => x.type === type);
  if (!d) throw new ContractViolation(String(type), [{ field: "type", message: `unknown event type ${String(type)}` }]);
  const event = {
    ...meta,
    type,
    version: d.version,
    aggregateId: (data as { orderId?: unknown } | undefined)?.orderId,
    data,
  } as EventOf<T>;
  const issues = contractIssues(event);
  if (issues.length > 0) throw new ContractViolation(type, issues);
  return event;
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
