// Express middleware shared by every service: correlation ids, request logs and metrics,
// RFC 9457 problem+json errors.
import { randomUUID } from "node:crypto";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { Histogram, type Registry } from "prom-client";
import { ContractViolation, findUnstorableText, MoneyOutOfRange } from "@orderflow/contracts";
import { startServerSpan } from "@orderflow/observability";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** from the `correlation-id` (or `x-correlation-id`) request header, or new */
      correlationId: string;
      /** a child logger carrying the correlation id */
      log: Logger;
      /** W3C trace context to hand on to what this request causes (outbox rows) */
      traceparent?: string;
    }
  }
}

export const CORRELATION_HEADER = "correlation-id";
/** probes and scrapes, every few seconds: a trace each would bury the traces of real requests */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const VALID_ID = /^[\x21-\x7e]{1,200}$/;

export function correlation(log: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get(CORRELATION_HEADER) ?? req.get("x-correlation-id");
    req.correlationId = given && VALID_ID.test(given) ? given : randomUUID();
    req.log = log.child({ correlationId: req.correlationId });
    res.setHeader(CORRELATION_HEADER, req.correlationId);
    if (UNTRACED_PATHS.has(req.path)) return next();
    const span = startServerSpan({
      method: req.method,
      path: req.path,
      scheme: req.protocol,
      httpVersion: req.httpVersion,
      traceparent: req.get("traceparent"),
    });
    if (span.traceparent) req.traceparent = span.traceparent;
    // named by the route the router matched ("GET /orders/:id"), known once the response is done
    res.once("finish", () => span.end(req.route?.path ? `${req.baseUrl}${req.route.path}` : undefined, res.statusCode));
    span.run(next);
  };
}

export function requestLogger(_log?: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (req.path === "/healthz" || req.path === "/readyz" || req.path === "/metrics") return;
      req.log.info(
        {
          method: req.method,
          path: req.originalUrl,
          status: res.statusCode,
          durationMs: Math.round(durationMs * 10) / 10,
        },
        "request",
      );
    });
    next();
  };
}

export function httpMetrics(registry: Registry): RequestHandler {
  const name = "orderflow_http_request_duration_seconds";
  const h =
    (registry.getSingleMetric(name) as Histogram<"method" | "route" | "status_code">) ??
    new Histogram({
      name,
      help: "HTTP request duration by method, route and status",
      labelNames: ["method", "route", "status_code"],
      registers: [registry],
    });
  return (req, res, next) => {
    const end = h.startTimer();
    res.once("finish", () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : "unmatched";
      end({ method: req.method, route, status_code: String(res.statusCode) });
    });
    next();
  };
}

/** An error that is the client's to fix (or a known server state), rendered as problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extras: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = "HttpProblem";
  }
}

export interface FieldError {
  field: string;
  message: string;
}

interface ZodLikeIssue {
  path: (string | number | symbol)[];
  message: string;
  code?: string;
  keys?: string[];
}

function isZodLike(e: unknown): e is { issues: ZodLikeIssue[] } {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as { name?: string }).name === "ZodError" &&
    Array.isArray((e as { issues?: unknown }).issues)
  );
}

/** zod issues as field errors; unknown keys name each key. */
export function fieldErrors(issues: ZodLikeIssue[]): FieldError[] {
  return issues.flatMap((i) => {
    const base = i.path.map(String).join(".");
    if (i.code === "unrecognized_keys" && i.keys?.length) {
      return i.keys.map((k) => ({ field: base ? `${base}.${k}` : k, message: "unknown field" }));
    }
    return [{ field: base, message: i.message }];
  });
}

function send(
  res: Response,
  req: Request,
  status: number,
  title: string,
  detail: string | undefined,
  extras: Record<string, unknown> = {},
) {
  res
    .status(status)
    .type("application/problem+json")
    .json({
      type: "about:blank",
      title,
      status,
      ...(detail ? { detail } : {}),
      instance: req.originalUrl,
      correlationId: req.correlationId,
      ...extras,
    });
}

export function notFound(): RequestHandler {
  return (req, _res, next: NextFunction) =>
    next(new HttpProblem(404, "Not found", `no route for ${req.method} ${req.path}`));
}

/** `isUnavailable` tells a dependency outage (database down) from a bug: the client gets a 503
 *  with Retry-After, and nothing was written. */
export function problemHandler(
  log: Logger,
  isUnavailable: (err: unknown) => boolean = () => false,
): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (isZodLike(err)) {
      const errors = fieldErrors(err.issues);
      const first = errors[0];
      return send(res, req, 400, "Invalid request", first ? `${first.field || "body"}: ${first.message}` : undefined, {
        errors,
      });
    }
    if (err instanceof HttpProblem) return send(res, req, err.status, err.title, err.detail, err.extras);
    if (err instanceof ContractViolation) {
      // the event this request would cause breaks its contract: the request's fields are at fault
      const errors = err.issues.map((i) => ({ field: i.field.replace(/^data\./, ""), message: i.message }));
      return send(
        res,
        req,
        400,
        "Invalid request",
        `${errors[0]?.field || "body"}: ${errors[0]?.message} (the ${err.eventType} event it would cause breaks its contract)`,
        { errors, event: err.eventType },
      );
    }
    if (err instanceof MoneyOutOfRange)
      return send(res, req, 400, "Invalid request", err.message, { errors: [{ field: "", message: err.message }] });
    const e = err as { type?: string; status?: number };
    if (e?.type === "entity.parse.failed") return send(res, req, 400, "Invalid request", "Malformed JSON body");
    if (e?.type === "entity.too.large")
      return send(res, req, 413, "Payload too large", "the request body is too large");
    if (typeof e?.status === "number" && e.status >= 400 && e.status < 500)
      return send(res, req, e.status, "Bad request", (err as Error).message);
    if (isUnavailable(err)) {
      (req.log ?? log).warn({ errorMessage: (err as Error)?.message }, "dependency unavailable; answered 503");
      res.setHeader("retry-after", "2");
      return send(
        res,
        req,
        503,
        "Service unavailable",
        "a dependency of this service is unavailable; nothing was changed, retry the request",
      );
    }
    (req.log ?? log).error({ err }, "request failed");
    return send(
      res,
      req,
      500,
      "Internal server error",
      "the request could not be processed; it was logged with its correlation id",
    );
  };
}

/** Text PostgreSQL cannot store (U+0000, lone UTF-16 surrogates) in a body or query string is
 *  refused with the field's path, before it can fail a write half-way as a 500. */
export function rejectUnstorableText(): RequestHandler {
  return (req, _res, next) => {
    const hit = (req.body === undefined ? undefined : findUnstorableText(req.body)) ?? findUnstorableText(req.query);
    if (hit === undefined) return next();
    const field = hit.path.map(String).join(".");
    next(
      new HttpProblem(400, "Invalid request", `${field || "body"}: ${hit.message}`, {
        errors: [{ field, message: hit.message }],
      }),
    );
  };
}
