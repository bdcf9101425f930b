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
  /** a redriven record is for this consumer group only; every other group skips it */
  redriveGroup: "orderflow-redrive-group",
  /** one id per redrive action */
  redriveId: "orderflow-redrive-id",
  /** how often this record has been redriven (the loop guard counts it) */
  redriveCount: "orderflow-redrive-count",
  /** a control record, not an event: `release-key` ends the parking of its key in redriveGroup */
  control: "orderflow-control",
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];

export const CONTENT_TYPE_JSON = "application/json";
