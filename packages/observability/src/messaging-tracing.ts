// Kafka spans by the OpenTelemetry messaging semantic conventions: a PRODUCER span "send <topic>"
// per record the relay publishes, child of the trace that wrote its outbox row, and a CONSUMER
// span "process <topic>" per record a consumer handles, child of the record's traceparent. Each
// hands its own context on in the record's traceparent header, so one order is one trace across
// the services. Recent conventions renamed three attributes (messaging.system →
// messaging.system.name, messaging.kafka.offset → kafka.offset, messaging.kafka.message.key →
// kafka.message.key; semantic-conventions 1.45 marks the old ones deprecated): spans carry both
// names while backends and dashboards move over (docs/adr/0013).
import { context, type Span, trace } from "@opentelemetry/api";
import {
  ATTR_KAFKA_MESSAGE_KEY,
  ATTR_KAFKA_OFFSET,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_MESSAGING_SYSTEM_NAME,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_KAFKA,
} from "@opentelemetry/semantic-conventions/incubating";
import { endSpan, isTracing, parentContext, SpanKind, startSpan, traceparentOf } from "./tracing.js";

/** the header carrying the event id (@orderflow/contracts' HEADERS.eventId) */
const EVENT_ID_HEADER = "event-id";

interface KafkaRecord {
  topic: string;
  key: string | null;
  headers: Record<string, string>;
}

function recordAttributes(operation: "send" | "process", r: KafkaRecord) {
  return {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_KAFKA,
    [ATTR_MESSAGING_SYSTEM_NAME]: MESSAGING_SYSTEM_VALUE_KAFKA,
    [ATTR_MESSAGING_DESTINATION_NAME]: r.topic,
    [ATTR_MESSAGING_OPERATION_TYPE]:
      operation === "send" ? MESSAGING_OPERATION_TYPE_VALUE_SEND : MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
    ...(r.key !== null ? { [ATTR_MESSAGING_KAFKA_MESSAGE_KEY]: r.key, [ATTR_KAFKA_MESSAGE_KEY]: r.key } : {}),
    ...(r.headers[EVENT_ID_HEADER] ? { [ATTR_MESSAGING_MESSAGE_ID]: r.headers[EVENT_ID_HEADER] } : {}),
  };
}

function placementAttributes(p: { partition: number; offset: string }) {
  const offset = Number(p.offset);
  return {
    [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(p.partition),
    [ATTR_MESSAGING_KAFKA_OFFSET]: offset,
    [ATTR_KAFKA_OFFSET]: offset,
  };
}

/** The record with `traceparent` in its headers instead of the one it had (a copy). */
function withTraceparent<R extends KafkaRecord>(r: R, traceparent: string | undefined): R {
  return traceparent ? { ...r, headers: { ...r.headers, traceparent } } : r;
}

export interface TracedSend<R> {
  /** the records to send: each carries its producer span's context */
  records: R[];
  /** the broker acknowledged them, each at its placement (in the order of `records`) */
  sent(placements: readonly ({ partition: number; offset: string } | undefined)[]): void;
  failed(error: unknown): void;
}

/** A producer span per record, each the child of the traceparent the record carries. */
export function traceSends<R extends KafkaRecord>(records: R[]): TracedSend<R> {
  // the relay publishes every record through here: nothing is parsed when nothing is recorded
  if (!isTracing()) return { records, sent() {}, failed() {} };
  const spans: Span[] = [];
  const traced = records.map((r) => {
    const parent = parentContext(r.headers.traceparent);
    const span = startSpan(`send ${r.topic}`, SpanKind.PRODUCER, parent, recordAttributes("send", r));
    spans.push(span);
    return withTraceparent(r, traceparentOf(span, parent));
  });
  return {
    records: traced,
    sent(placements) {
      for (const [i, span] of spans.entries()) {
        const p = placements[i];
        if (p) span.setAttributes(placementAttributes(p));
        span.end();
      }
    },
    failed(error) {
      for (const span of spans) endSpan(span, error);
    },
  };
}

/** What the consumer tells of a record it is about to process. */
interface ConsumedRecord extends KafkaRecord {
  partition: number;
  offset: string;
}

/** the traceparent a record came with, before its first process span replaced it: a run that is
 *  handled again (after an outage) parents its new spans on the send, not on the failed try */
const received = new WeakMap<Record<string, string>, string | undefined>();

async function processSpans<T>(o: { group: string; records: readonly ConsumedRecord[] }, fn: () => Promise<T>) {
  const spans = o.records.map((r) => {
    if (!received.has(r.headers)) received.set(r.headers, r.headers.traceparent);
    const parent = parentContext(received.get(r.headers));
    const span = startSpan(`process ${r.topic}`, SpanKind.CONSUMER, parent, {
      ...recordAttributes("process", r),
      ...placementAttributes(r),
      [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: o.group,
    });
    const traceparent = traceparentOf(span, parent);
    if (traceparent) r.headers.traceparent = traceparent;
    return { span, parent };
  });
  // a record alone makes its span active, so the handler's queries are its children; a run of
  // several records' queries serve them all and belong to none
  const only = spans.length === 1 ? spans[0]! : undefined;
  try {
    const result = only ? await context.with(trace.setSpan(only.parent, only.span), fn) : await fn();
    for (const s of spans) s.span.end();
    return result;
  } catch (e) {
    for (const s of spans) endSpan(s.span, e);
    throw e;
  }
}

/** A consumer observer hook: each record's processing is a consumer span, child of its record's
 *  traceparent; the handler sees the span's traceparent in the record's headers. */
export const consumerTracing = {
  around: <T>(o: { group: string; records: readonly ConsumedRecord[] }, fn: () => Promise<T>): Promise<T> =>
    isTracing() ? processSpans(o, fn) : fn(),
};
