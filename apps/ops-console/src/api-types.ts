// The ops console's HTTP API as the browser sees it: the server (src/) answers these shapes and
// the page (web/) reads them. Every /api route needs a bearer token with the `ops` scope; errors
// are problem+json ({ type, title, status, detail, errors? }).

/** GET /api/session: who the token belongs to */
export interface Session {
  subject: string;
  scopes: string[];
  expiresAt: string | null;
}

/** one row of GET /api/orders (the order service's read model) */
export interface OrderSummary {
  orderId: string;
  status: "PLACED" | "PAID" | "SHIPPED" | "CANCELLED" | null;
  customerId: string | null;
  totalAmount: number | null;
  currency: string | null;
  lastEventAt: string;
}

/** GET /api/orders?customerId=&status=&limit= */
export interface OrderList {
  orders: OrderSummary[];
}

/** one event of the order, wherever it was published */
export interface TimelineEvent {
  eventId: string;
  type: string;
  /** the service that published it: order | payment | shipping */
  source: string;
  occurredAt: string;
  topic: string;
  partition: number;
  offset: string;
  correlationId: string;
  causationId: string | null;
  /** steps from the root of the causation chain (0 for the command's first event) */
  depth: number;
}

export type DeadLetterState = "pending" | "redriven" | "discarded";

/** a record a consumer group gave up on (or parked behind one that it gave up on) */
export interface DeadLetterView {
  /** `<dlt topic>:<partition>:<offset>` */
  id: string;
  group: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  eventId: string | null;
  eventType: string | null;
  errorClass: string;
  errorMessage: string;
  attempts: number;
  redriveCount: number;
  failedAt: string;
  state: DeadLetterState;
  /** errorClass ParkedBehindFailure: held back because an earlier record of its key failed */
  parked: boolean;
}

/** GET /api/orders/:id */
export interface OrderDetail {
  orderId: string;
  status: OrderSummary["status"];
  customerId: string | null;
  totalAmount: number | null;
  currency: string | null;
  payment: { status: string; amount: number; declineReason: string | null } | null;
  shipment: { status: string; carrier: string | null; trackingNumber: string | null } | null;
  cancellation: { reason: string; detail: string | null } | null;
  /** causal order: each event after the one that caused it; siblings by time */
  timeline: TimelineEvent[];
  /** every dead letter keyed by this order id, in every group and state */
  deadLetters: DeadLetterView[];
  /** "projection" or "event-store" (not projected yet: only the order service's own events) */
  readModel: string;
}

export interface GroupLag {
  group: string;
  /** total over its partitions; null while a partition with records has no committed offset */
  lag: number | null;
  partitions: { topic: string; partition: number; committed: string | null; end: string; lag: number | null }[];
}

export interface OutboxHealth {
  /** the service database: order | payment | shipping */
  database: string;
  reachable: boolean;
  backlog: number;
  oldestPendingSeconds: number;
  /** rows published per second over the relay's last minute */
  publishedPerSecond: number;
}

export interface DeadLetterDepth {
  group: string;
  pending: number;
  /** newest pending first, at most 5 */
  newest: Pick<DeadLetterView, "id" | "key" | "errorClass" | "errorMessage" | "failedAt">[];
}

/** GET /api/health: one snapshot; the page polls it */
export interface FlowHealth {
  at: string;
  groups: GroupLag[];
  /** empty with relayError set when the relay does not answer */
  outbox: OutboxHealth[];
  relayError: string | null;
  /** relay rows published per second, summed over databases */
  relayPublishedPerSecond: number;
  deadLetters: DeadLetterDepth[];
}

/** GET /api/dead-letters?group=&state=pending|redriven|discarded|all&key= */
export interface DeadLetterList {
  deadLetters: DeadLetterView[];
}

/** POST /api/dead-letters/redrive  { group, id } or { group, key }
 *  POST /api/dead-letters/discard  { group, id, reason } or { group, key, reason } */
export interface ActionRequest {
  group: string;
  id?: string;
  key?: string;
  reason?: string;
}

export interface AuditEntryView {
  at: string;
  action: "redrive" | "discard";
  operator: string;
  group: string;
  deadLetter: string;
  key: string | null;
  reason?: string;
}

export interface ActionResponse {
  done: string[];
  refused: { id: string; why: string }[];
  released: string[];
  audit: AuditEntryView[];
}

/** GET /api/audit: newest first */
export interface AuditList {
  entries: AuditEntryView[];
}
