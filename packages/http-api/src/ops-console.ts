// The ops console's own HTTP API as its page sees it (apps/ops-console: the server answers these
// shapes, the page parses them). Every /api route needs a bearer token with the `ops` scope;
// errors are problem+json (./problem).
import { z } from "zod";
import { OrderStatus, TimelineEntry } from "./order.js";

/** GET /api/session: who the token belongs to */
export const Session = z.object({
  subject: z.string(),
  scopes: z.array(z.string()),
  expiresAt: z.string().nullable(),
});
export type Session = z.infer<typeof Session>;

/** one row of GET /api/orders (the order service's read model) */
export const OrderSummary = z.object({
  orderId: z.string(),
  status: OrderStatus.nullable(),
  customerId: z.string().nullable(),
  totalAmount: z.number().nullable(),
  currency: z.string().nullable(),
  lastEventAt: z.string(),
});
export type OrderSummary = z.infer<typeof OrderSummary>;

/** GET /api/orders?customerId=&status=&limit= */
export const OrderList = z.object({ orders: z.array(OrderSummary) });
export type OrderList = z.infer<typeof OrderList>;

/** one event of the order, wherever it was published, at its place in the causal order */
export const TimelineEvent = TimelineEntry.extend({
  /** steps from the root of the causation chain (0 for the command's first event) */
  depth: z.number().int(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const DeadLetterState = z.enum(["pending", "redriven", "discarded"]);
export type DeadLetterState = z.infer<typeof DeadLetterState>;

/** a record a consumer group gave up on (or parked behind one that it gave up on) */
export const DeadLetterView = z.object({
  /** `<dlt topic>:<partition>:<offset>` */
  id: z.string(),
  group: z.string(),
  originalTopic: z.string(),
  originalPartition: z.number().int(),
  originalOffset: z.string(),
  key: z.string().nullable(),
  eventId: z.string().nullable(),
  eventType: z.string().nullable(),
  errorClass: z.string(),
  errorMessage: z.string(),
  attempts: z.number().int(),
  redriveCount: z.number().int(),
  failedAt: z.string(),
  state: DeadLetterState,
  /** errorClass ParkedBehindFailure: held back because an earlier record of its key failed */
  parked: z.boolean(),
});
export type DeadLetterView = z.infer<typeof DeadLetterView>;

/** GET /api/orders/:id */
export const OrderDetail = z.object({
  orderId: z.string(),
  status: OrderStatus.nullable(),
  customerId: z.string().nullable(),
  totalAmount: z.number().nullable(),
  currency: z.string().nullable(),
  payment: z.object({ status: z.string(), amount: z.number(), declineReason: z.string().nullable() }).nullable(),
  shipment: z
    .object({ status: z.string(), carrier: z.string().nullable(), trackingNumber: z.string().nullable() })
    .nullable(),
  cancellation: z.object({ reason: z.string(), detail: z.string().nullable() }).nullable(),
  /** causal order: each event after the one that caused it; siblings by time */
  timeline: z.array(TimelineEvent),
  /** every dead letter keyed by this order id, in every group and state */
  deadLetters: z.array(DeadLetterView),
  /** "projection" or "event-store" (not projected yet: only the order service's own events) */
  readModel: z.string(),
});
export type OrderDetail = z.infer<typeof OrderDetail>;

export const GroupLag = z.object({
  group: z.string(),
  /** total over its partitions; null while a partition with records has no committed offset */
  lag: z.number().nullable(),
  partitions: z.array(
    z.object({
      topic: z.string(),
      partition: z.number().int(),
      committed: z.string().nullable(),
      end: z.string(),
      lag: z.number().nullable(),
    }),
  ),
});
export type GroupLag = z.infer<typeof GroupLag>;

export const OutboxHealth = z.object({
  /** the service database: order | payment | shipping */
  database: z.string(),
  reachable: z.boolean(),
  backlog: z.number(),
  oldestPendingSeconds: z.number(),
  /** rows published per second over the relay's last minute */
  publishedPerSecond: z.number(),
  /** the relay's wal mode: its replication slot's lag (docs/relay.md); absent in poll mode */
  slot: z.object({ name: z.string(), lagBytes: z.number(), lagSeconds: z.number() }).optional(),
});
export type OutboxHealth = z.infer<typeof OutboxHealth>;

export const DeadLetterDepth = z.object({
  group: z.string(),
  pending: z.number().int(),
  /** newest pending first, at most 5 */
  newest: z.array(DeadLetterView.pick({ id: true, key: true, errorClass: true, errorMessage: true, failedAt: true })),
});
export type DeadLetterDepth = z.infer<typeof DeadLetterDepth>;

/** GET /api/health: one snapshot; the page polls it */
export const FlowHealth = z.object({
  at: z.string(),
  groups: z.array(GroupLag),
  /** empty with relayError set when the relay does not answer */
  outbox: z.array(OutboxHealth),
  relayError: z.string().nullable(),
  /** relay rows published per second, summed over databases */
  relayPublishedPerSecond: z.number(),
  deadLetters: z.array(DeadLetterDepth),
});
export type FlowHealth = z.infer<typeof FlowHealth>;

/** GET /api/dead-letters?group=&state=pending|redriven|discarded|all&key= */
export const DeadLetterList = z.object({ deadLetters: z.array(DeadLetterView) });
export type DeadLetterList = z.infer<typeof DeadLetterList>;

/** the body of POST /api/dead-letters/redrive  { group, id } or { group, key }
 *  and POST /api/dead-letters/discard  { group, id, reason } or { group, key, reason } */
export interface ActionRequest {
  group: string;
  id?: string | undefined;
  key?: string | undefined;
  reason?: string | undefined;
}

export const AuditEntryView = z.object({
  at: z.string(),
  action: z.enum(["redrive", "discard"]),
  operator: z.string(),
  group: z.string(),
  deadLetter: z.string(),
  key: z.string().nullable(),
  reason: z.string().optional(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

/** the answer to a redrive or discard */
export const ActionResponse = z.object({
  done: z.array(z.string()),
  refused: z.array(z.object({ id: z.string(), why: z.string() })),
  released: z.array(z.string()),
  audit: z.array(AuditEntryView),
});
export type ActionResponse = z.infer<typeof ActionResponse>;

/** GET /api/audit: newest first */
export const AuditList = z.object({ entries: z.array(AuditEntryView) });
export type AuditList = z.infer<typeof AuditList>;

/** the console's history charts, each a fixed Prometheus query over the last 15 minutes */
export const HistoryChartName = z.enum(["consumer-lag", "consumer-throughput", "outbox-age"]);
export type HistoryChartName = z.infer<typeof HistoryChartName>;

/** one line of a chart: a consumer group or a database, a value per timestamp (null: no sample) */
export const HistorySeries = z.object({ name: z.string(), values: z.array(z.number().nullable()) });
export type HistorySeries = z.infer<typeof HistorySeries>;

/**
 * GET /api/history/:chart. Prometheus being absent or down is an answer too (200), never an
 * error: "unconfigured" (no OPS_PROMETHEUS_URL) or "unavailable" with the reason.
 */
export const HistoryChart = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    chart: HistoryChartName,
    /** unix seconds, evenly spaced by stepSeconds; every series has a value (or null) for each */
    timestamps: z.array(z.number()),
    stepSeconds: z.number(),
    series: z.array(HistorySeries),
  }),
  z.object({ status: z.literal("unconfigured"), chart: HistoryChartName, reason: z.string() }),
  z.object({ status: z.literal("unavailable"), chart: HistoryChartName, reason: z.string() }),
]);
export type HistoryChart = z.infer<typeof HistoryChart>;
