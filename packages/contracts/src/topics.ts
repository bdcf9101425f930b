/** The topic registry: the one place topic names, keys, partitions and retention are decided.
 *  Tooling creates topics from it; the broker never auto-creates them. */
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicSpec {
  name: string;
  /** the envelope/data field whose value is the record key (per-key ordering) */
  key: "orderId";
  partitions: number;
  /** retention.ms; -1 keeps records forever (replayable history) */
  retentionMs: number;
  description: string;
}

export const TOPICS = {
  "order-events": {
    name: "order-events",
    key: "orderId",
    partitions: 6,
    retentionMs: -1,
    description:
      "Facts about Order aggregates, published by the order service. Kept forever: the read model can always be replayed from offset 0.",
  },
  "payment-events": {
    name: "payment-events",
    key: "orderId",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    description: "Payment outcomes, published by the payment service.",
  },
  "shipping-events": {
    name: "shipping-events",
    key: "orderId",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    description: "Shipment outcomes, published by the shipping service.",
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = keyof typeof TOPICS;
export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

/** Operators' actions on dead letters (redrive, discard), one JSON record each: the audit trail
 *  and the state of every dead letter. */
export const OPS_AUDIT_TOPIC = { name: "orderflow.ops-audit", partitions: 1, retentionMs: -1 } as const;

/** Dead-letter topics are per source topic and consumer group. */
export const DLT_RETENTION_MS = 14 * DAY_MS;
export const DLT_PARTITIONS = 1;
export function dltTopicName(topic: string, group: string): string {
  return `${topic}.${group}.dlt`;
}

/** Who consumes what, in which consumer group. Dead-letter topics are created from this list,
 *  one per (topic, group). */
export const SUBSCRIPTIONS = [
  { group: "order", service: "order", topics: ["payment-events", "shipping-events"] },
  { group: "order-projection", service: "order", topics: ["order-events", "payment-events", "shipping-events"] },
  { group: "payment", service: "payment", topics: ["order-events"] },
  { group: "shipping", service: "shipping", topics: ["order-events"] },
] as const satisfies readonly { group: string; service: string; topics: readonly TopicName[] }[];

export function deadLetterTopics(): { name: string; source: TopicName; group: string }[] {
  return SUBSCRIPTIONS.flatMap((s) =>
    s.topics.map((t) => ({ name: dltTopicName(t, s.group), source: t, group: s.group })),
  );
}
