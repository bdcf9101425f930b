/** Kafka header names every Orderflow record carries. Values are UTF-8 strings. */
export const HEADERS = {
  eventId: "event-id",
  eventType: "event-type",
  eventVersion: "event-version",
  correlationId: "correlation-id",
  causationId: "causation-id",
  source: "source",
  traceparent: "traceparent",
  contentType: "content-type",
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];

export const CONTENT_TYPE_JSON = "application/json";
