// The order service's HTTP API, built by a factory so tests run it in-process.
import type { Express, Request } from "express";
import {
  createServiceApp,
  HttpProblem,
  idempotencyKeyOf,
  keyInFlight,
  keyReused,
  requestFingerprint,
  requireScope,
  SCOPES,
  type ServiceAppDeps,
  type Verifier,
} from "@orderflow/service-kit";
import type {
  CancelAccepted,
  OrderAccepted,
  OrderEvents,
  OrderList,
  OrderResponse,
  ProjectionStatus,
  Rebuilt,
  ReplayStarted,
} from "@orderflow/http-api/order";
import { rateLimit } from "express-rate-limit";
import { OrderDomainError } from "../domain/errors.js";
import { ConcurrencyConflict } from "../db/event-store.js";
import type { OrderApi } from "../commands/api.js";
import type { CommandMeta } from "../commands/execute.js";
import type { IdempotentRequest, Respond } from "../commands/idempotent.js";
import { IdempotencyKeyInFlight, IdempotencyKeyReused } from "../db/idempotency.js";
import { ReplayInProgress } from "../projection/replay.js";
import { sendStored } from "./idempotency.js";
import { CancelOrderBody, ListOrdersQuery, OrderIdParam, PlaceOrderBody } from "./schemas.js";
import { isOutage } from "@orderflow/db-kit";

export interface AppDeps extends Omit<ServiceAppDeps, "mapError"> {
  api: OrderApi;
  /** checks bearer tokens (createVerifier) */
  verify: Verifier;
  /** POST requests per client address and second before 429; 0: unlimited */
  rateLimitPerSecond?: number;
}

const STATUS_OF: Record<OrderDomainError["code"], number> = {
  ORDER_NOT_FOUND: 404,
  ORDER_ALREADY_EXISTS: 409,
  ORDER_ALREADY_SHIPPED: 409,
  CORRUPT_STREAM: 500,
};

function meta(req: Request): CommandMeta {
  return {
    correlationId: req.correlationId,
    causationId: null,
    ...(req.traceparent ? { traceparent: req.traceparent } : {}),
  };
}

/** The Idempotency-Key of a write request with what identifies it; undefined without a key. */
function idempotent(req: Request): IdempotentRequest | undefined {
  const key = idempotencyKeyOf(req);
  return key === undefined
    ? undefined
    : { subject: req.principal?.subject ?? "anonymous", key, fingerprint: requestFingerprint(req) };
}

function orderId(req: Request): string {
  const r = OrderIdParam.safeParse(req.params.id);
  if (!r.success)
    throw new HttpProblem(400, "Invalid order id", `id: ${r.error.issues[0]?.message}`, {
      errors: [{ field: "id", message: r.error.issues[0]?.message }],
    });
  return r.data;
}

/** Business-rule failures are the client's to fix: a problem, not a 500. */
function mapError(err: unknown): HttpProblem | undefined {
  if (err instanceof OrderDomainError)
    return new HttpProblem(
      STATUS_OF[err.code],
      err.code === "ORDER_NOT_FOUND" ? "Order not found" : "Order conflict",
      err.message,
      { code: err.code },
    );
  if (err instanceof ReplayInProgress)
    return new HttpProblem(409, "Replay in progress", err.message, { code: err.code });
  if (err instanceof ConcurrencyConflict)
    return new HttpProblem(409, "Order changed concurrently", `${err.message}; retry the request`, { code: err.code });
  if (err instanceof IdempotencyKeyInFlight) return keyInFlight();
  if (err instanceof IdempotencyKeyReused) return keyReused();
  return undefined;
}

/** the projection's status as JSON carries it: times as ISO 8601 strings */
function projectionStatusBody(s: Awaited<ReturnType<OrderApi["projectionStatus"]>>): ProjectionStatus {
  return {
    live: s.live,
    generations: s.generations.map((g) => ({
      ...g,
      createdAt: g.createdAt.toISOString(),
      switchedAt: g.switchedAt?.toISOString() ?? null,
    })),
    lastAppliedAt: s.lastAppliedAt?.toISOString() ?? null,
  };
}

type Guard = ReturnType<typeof requireScope>;

export function createApp(deps: AppDeps) {
  const read = requireScope(deps.verify, SCOPES.read);
  const write = requireScope(deps.verify, SCOPES.write);
  const ops = requireScope(deps.verify, SCOPES.ops);
  const limit = deps.rateLimitPerSecond ?? 0;
  return createServiceApp({ ...deps, mapError, isUnavailable: isOutage }, (app) => {
    if (limit > 0) app.use(writeRateLimit(limit));
    commandRoutes(app, deps.api, write);
    readRoutes(app, deps.api, read);
    projectionAdminRoutes(app, deps.api, ops);
  });
}

/** A flood of writes from one address gets 429 + RateLimit headers, before any token work. */
function writeRateLimit(limit: number) {
  return rateLimit({
    windowMs: 1000,
    limit,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    skip: (req) => req.method !== "POST",
    handler: (_req, _res, next) =>
      next(
        new HttpProblem(
          429,
          "Too many requests",
          `more than ${limit} write requests per second from this client; retry after the Retry-After delay`,
        ),
      ),
  });
}

/** Placing and cancelling orders, each once per Idempotency-Key. */
function commandRoutes(app: Express, api: OrderApi, write: Guard): void {
  app.post("/orders", write, async (req, res) => {
    const body = PlaceOrderBody.parse(req.body);
    const key = idempotent(req);
    const respond: Respond = (order) => ({
      status: 202,
      location: `/orders/${order.orderId}`,
      body: {
        orderId: order.orderId,
        status: order.status,
        totalAmount: order.totalAmount,
        currency: order.currency,
      } satisfies OrderAccepted,
    });
    if (!key) return sendStored(res, respond(await api.placeOrder(body, meta(req))), false);
    const r = await api.placeOrderOnce(body, meta(req), key, respond);
    sendStored(res, r.response, r.replayed);
  });

  app.post("/orders/:id/cancel", write, async (req, res) => {
    const id = orderId(req);
    const body = CancelOrderBody.parse(req.body ?? {});
    const key = idempotent(req);
    const respond: Respond = (order) => ({
      status: 202,
      location: `/orders/${id}`,
      body: { orderId: id, status: order.status } satisfies CancelAccepted,
    });
    if (!key) return sendStored(res, respond(await api.cancelOrder(id, body.detail, meta(req))), false);
    const r = await api.cancelOrderOnce(id, body.detail, meta(req), key, respond);
    sendStored(res, r.response, r.replayed);
  });
}

function readRoutes(app: Express, api: OrderApi, read: Guard): void {
  // the read model; an order it has not seen yet is answered from its events, and says so
  app.get("/orders/:id", read, async (req, res) => {
    const id = orderId(req);
    const row = await api.readView(id);
    if (row)
      return void res.json({
        ...row.view,
        readModel: {
          source: "projection",
          generation: row.generation,
          appliedAt: row.appliedAt.toISOString(),
          lastEventAt: row.view.lastEventAt,
        },
      } satisfies OrderResponse);
    const { state } = await api.getOrder(id);
    if (!state) throw new HttpProblem(404, "Order not found", `order ${id} does not exist`);
    res.json({
      ...state,
      readModel: { source: "event-store", note: "not projected yet: the read model is eventually consistent" },
    } satisfies OrderResponse);
  });

  app.get("/orders", read, async (req, res) => {
    const q = ListOrdersQuery.parse(req.query);
    const after = q.cursor ? Buffer.from(q.cursor, "base64url").toString("utf8") : undefined;
    const orders = await api.listViews({
      limit: q.limit,
      ...(q.customerId ? { customerId: q.customerId } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(after ? { after } : {}),
    });
    const last = orders.length === q.limit ? orders.at(-1) : undefined;
    const status = await api.projectionStatus();
    res.json({
      orders,
      nextCursor: last ? Buffer.from(last.orderId).toString("base64url") : null,
      readModel: { generation: status.live, lastAppliedAt: status.lastAppliedAt?.toISOString() ?? null },
    } satisfies OrderList);
  });

  app.get("/orders/:id/rebuild", read, async (req, res) => {
    res.json((await api.rebuild(orderId(req))) satisfies Rebuilt);
  });

  app.get("/orders/:id/events", read, async (req, res) => {
    const id = orderId(req);
    const { events } = await api.getOrder(id);
    if (events.length === 0) throw new HttpProblem(404, "Order not found", `order ${id} does not exist`);
    res.json({ orderId: id, events } satisfies OrderEvents);
  });
}

function projectionAdminRoutes(app: Express, api: OrderApi, ops: Guard): void {
  app.get("/admin/projection", ops, async (_req, res) => {
    res.json(projectionStatusBody(await api.projectionStatus()));
  });

  app.post("/admin/projection/replay", ops, async (_req, res) => {
    const r = await api.replay();
    res
      .status(202)
      .location("/admin/projection")
      .json({ generation: r.generation } satisfies ReplayStarted);
  });
}
