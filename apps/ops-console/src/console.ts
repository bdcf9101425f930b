// What the console knows and does: order search and timelines from the order service's read
// model (asked with the operator's own token), dead letters and the audit trail from a live index
// of the dead-letter and audit topics, lag from the broker, the outbox from the relay, and the
// redrive/discard actions of @orderflow/kafka (audited on the ops-audit topic).
import { SUBSCRIPTIONS } from "@orderflow/contracts";
import {
  consumerGroupLag,
  discard,
  redrive,
  type ActionResult,
  type DeadLetter,
  type DeadLetterIndex,
  type KafkaClient,
  type Publisher,
} from "@orderflow/kafka";
import type {
  ActionRequest,
  ActionResponse,
  AuditEntryView,
  DeadLetterView,
  FlowHealth,
  GroupLag,
  OrderDetail,
  OrderSummary,
  OutboxHealth,
} from "@orderflow/http-api/ops-console";
import { OrderList, OrderResponse, type UnprojectedOrder } from "@orderflow/http-api/order";
import { mismatch } from "@orderflow/http-api/mismatch";
import { Problem } from "@orderflow/http-api/problem";
import { RelayStatus } from "@orderflow/http-api/relay";
import { HttpProblem } from "@orderflow/service-kit";
import type { Logger } from "pino";
import type { z } from "zod";
import { causalOrder } from "./causal.js";

export interface ConsoleDeps {
  kafka: KafkaClient;
  index: DeadLetterIndex;
  publisher: Publisher;
  orderUrl: string;
  relayUrl: string;
  healthCacheMs: number;
  maxRedrives: number;
  log: Logger;
}

const UPSTREAM_TIMEOUT_MS = 5000;

function toView(d: DeadLetter): DeadLetterView {
  return {
    id: d.id,
    group: d.group,
    originalTopic: d.originalTopic,
    originalPartition: d.originalPartition,
    originalOffset: d.originalOffset,
    key: d.key,
    eventId: d.eventId ?? null,
    eventType: d.eventType ?? null,
    errorClass: d.errorClass,
    errorMessage: d.errorMessage,
    attempts: d.attempts,
    redriveCount: d.redriveCount,
    failedAt: d.failedAt,
    state: d.state,
    parked: d.errorClass === "ParkedBehindFailure",
  };
}

const auditView = ({ redriveId: _r, ...a }: AuditEntryView & { redriveId?: string }): AuditEntryView => a;

/** The order service, asked on the operator's behalf: its 401/403/404 reach the operator as they
 *  are; an answer its schema does not describe is the order service's fault (502). */
async function orderService<S extends z.ZodType>(
  orderUrl: string,
  schema: S,
  path: string,
  authorization: string,
): Promise<z.infer<S>> {
  let r: Response;
  try {
    r = await fetch(`${orderUrl}${path}`, {
      headers: { authorization, accept: "application/json" },
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
  } catch (e) {
    throw new HttpProblem(502, "Order service unreachable", `${orderUrl} did not answer: ${(e as Error).message}`);
  }
  const body: unknown = await r.json().catch(() => ({}));
  if (r.ok) {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new HttpProblem(502, "Order service answered unexpectedly", `GET ${path}: ${mismatch(parsed.error)}`);
  }
  const problem = Problem.partial().safeParse(body);
  const { title, detail } = problem.success ? problem.data : {};
  if (r.status < 500)
    throw new HttpProblem(
      r.status,
      title ?? "Order service refused",
      detail ?? `the order service answered ${r.status}`,
    );
  throw new HttpProblem(
    502,
    "Order service failed",
    `the order service answered ${r.status}${detail ? `: ${detail}` : ""}`,
  );
}

/** the relay's outbox figures per database; the relay being down is a figure too, not an error */
async function outbox(relayUrl: string): Promise<{ outbox: OutboxHealth[]; relayError: string | null }> {
  try {
    const r = await fetch(`${relayUrl}/status`, { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    if (!r.ok) return { outbox: [], relayError: `the relay answered ${r.status}` };
    const parsed = RelayStatus.safeParse(await r.json());
    if (!parsed.success)
      return { outbox: [], relayError: `the relay answered unexpectedly: ${mismatch(parsed.error)}` };
    return {
      outbox: parsed.data.databases.map((d) => ({
        database: d.database,
        reachable: d.reachable,
        backlog: d.backlog,
        oldestPendingSeconds: d.oldestPendingSeconds,
        publishedPerSecond: d.publishedPerSecond,
        ...(d.slot ? { slot: { name: d.slot.name, lagBytes: d.slot.lagBytes, lagSeconds: d.slot.lagSeconds } } : {}),
      })),
      relayError: null,
    };
  } catch (e) {
    return { outbox: [], relayError: `the relay at ${relayUrl} did not answer: ${(e as Error).message}` };
  }
}

async function lag(kafka: KafkaClient): Promise<GroupLag[]> {
  return Promise.all(
    SUBSCRIPTIONS.map(async (s) => {
      const partitions = (await consumerGroupLag(kafka, s.group)).map((p) => ({
        topic: p.topic,
        partition: p.partition,
        committed: p.committedOffset === "-1" ? null : p.committedOffset,
        end: p.logEndOffset,
        lag: p.lag,
      }));
      const unknown = partitions.some((p) => p.lag === null && p.end !== "0");
      return { group: s.group, lag: unknown ? null : partitions.reduce((n, p) => n + (p.lag ?? 0), 0), partitions };
    }),
  );
}

async function snapshot(deps: ConsoleDeps): Promise<FlowHealth> {
  const [groups, { outbox: rows, relayError }] = await Promise.all([lag(deps.kafka), outbox(deps.relayUrl)]);
  const pending = deps.index.list();
  const deadLetters = SUBSCRIPTIONS.map((s) => {
    const mine = pending.filter((d) => d.group === s.group);
    return {
      group: s.group,
      pending: mine.length,
      newest: mine
        .slice(-5)
        .reverse()
        .map((d) => ({
          id: d.id,
          key: d.key,
          errorClass: d.errorClass,
          errorMessage: d.errorMessage,
          failedAt: d.failedAt,
        })),
    };
  });
  return {
    at: new Date().toISOString(),
    groups,
    outbox: rows,
    relayError,
    relayPublishedPerSecond: rows.reduce((n, r) => n + r.publishedPerSecond, 0),
    deadLetters,
  };
}

const fromEvents = (o: OrderResponse): o is UnprojectedOrder => o.readModel.source === "event-store";

/** The order as the page shows it. Before the read model has seen it the order service answers
 *  from the order's own events, which know a payment only once authorized (OrderPaid) and a
 *  shipment only once dispatched (OrderShipped), and have no timeline of the other services. */
function orderDetail(o: OrderResponse, deadLetters: DeadLetterView[]): OrderDetail {
  const common = {
    orderId: o.orderId,
    status: o.status,
    customerId: o.customerId,
    totalAmount: o.totalAmount,
    currency: o.currency,
    deadLetters,
  };
  if (fromEvents(o)) {
    return {
      ...common,
      payment: o.payment ? { status: "AUTHORIZED", amount: o.payment.amount, declineReason: null } : null,
      shipment: o.shipment
        ? { status: "DISPATCHED", carrier: o.shipment.carrier, trackingNumber: o.shipment.trackingNumber }
        : null,
      cancellation: o.cancellation ? { reason: o.cancellation.reason, detail: o.cancellation.detail ?? null } : null,
      timeline: [],
      readModel: "event-store",
    };
  }
  return {
    ...common,
    payment: o.payment
      ? { status: o.payment.status, amount: o.payment.amount, declineReason: o.payment.declineReason }
      : null,
    shipment: o.shipment
      ? { status: o.shipment.status, carrier: o.shipment.carrier, trackingNumber: o.shipment.trackingNumber }
      : null,
    cancellation: o.cancellation,
    timeline: causalOrder(
      o.timeline.map(({ eventId, type, source, occurredAt, topic, partition, offset, correlationId, causationId }) => ({
        eventId,
        type,
        source,
        occurredAt,
        topic,
        partition,
        offset,
        correlationId,
        causationId,
      })),
    ),
    readModel: "projection",
  };
}

/** a redrive or discard through @orderflow/kafka, as the console's answer */
async function act(
  deps: ConsoleDeps,
  action: "redrive" | "discard",
  req: ActionRequest,
  operator: string,
): Promise<ActionResponse> {
  if (!SUBSCRIPTIONS.some((s) => s.group === req.group))
    throw new HttpProblem(400, "Invalid request", `group: unknown consumer group "${req.group}"`, {
      errors: [{ field: "group", message: `known groups: ${SUBSCRIPTIONS.map((s) => s.group).join(", ")}` }],
    });
  const selection = {
    group: req.group,
    operator,
    ...(req.id ? { id: req.id } : {}),
    ...(req.key ? { key: req.key } : {}),
  };
  let r: ActionResult;
  try {
    r =
      action === "redrive"
        ? await redrive(deps.kafka, deps.publisher, { ...selection, maxRedrives: deps.maxRedrives }, deps.index.pending)
        : await discard(
            deps.kafka,
            deps.publisher,
            { ...selection, ...(req.reason ? { reason: req.reason } : {}) },
            deps.index.pending,
          );
  } catch (e) {
    // the selection names nothing pending (already redriven by someone else, say)
    if (e instanceof Error && /^no pending dead letter/.test(e.message))
      throw new HttpProblem(409, "Not pending", e.message);
    throw e;
  }
  const result: ActionResponse = {
    done: r.done.map((d) => d.id),
    refused: r.refused.map((x) => ({ id: x.deadLetter.id, why: x.why })),
    released: r.released,
    audit: r.audit.map(auditView),
  };
  deps.log.info(
    {
      action,
      operator,
      group: req.group,
      done: result.done,
      refused: result.refused.length,
      released: result.released,
    },
    `dead letters ${action === "redrive" ? "redriven" : "discarded"} from the console`,
  );
  return result;
}

export function createConsole(deps: ConsoleDeps) {
  let cached: { at: number; value: Promise<FlowHealth> } | undefined;
  return {
    async listOrders(
      authorization: string,
      q: { customerId?: string | undefined; status?: string | undefined; limit: number },
    ): Promise<OrderSummary[]> {
      const qs = new URLSearchParams({
        limit: String(q.limit),
        ...(q.customerId ? { customerId: q.customerId } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
      const body = await orderService(deps.orderUrl, OrderList, `/orders?${qs}`, authorization);
      return body.orders.map((o) => ({
        orderId: o.orderId,
        status: o.status,
        customerId: o.customerId,
        totalAmount: o.totalAmount,
        currency: o.currency,
        lastEventAt: o.lastEventAt,
      }));
    },

    async order(authorization: string, orderId: string): Promise<OrderDetail> {
      const o = await orderService(
        deps.orderUrl,
        OrderResponse,
        `/orders/${encodeURIComponent(orderId)}`,
        authorization,
      );
      return orderDetail(o, deps.index.list({ key: orderId, state: "all" }).map(toView));
    },

    health(): Promise<FlowHealth> {
      const now = Date.now();
      if (!cached || now - cached.at > deps.healthCacheMs) {
        const value = snapshot(deps);
        cached = { at: now, value };
        // a failed snapshot is not reused
        value.catch(() => (cached = undefined));
      }
      return cached.value;
    },

    deadLetters(filter: {
      group?: string | undefined;
      state?: "pending" | "redriven" | "discarded" | "all" | undefined;
      key?: string | undefined;
    }): DeadLetterView[] {
      return deps.index.list(filter).map(toView).reverse();
    },

    audit(): AuditEntryView[] {
      return deps.index.audit().map(auditView).reverse();
    },

    act: (action: "redrive" | "discard", req: ActionRequest, operator: string): Promise<ActionResponse> =>
      act(deps, action, req, operator),
  };
}

export type Console = ReturnType<typeof createConsole>;
