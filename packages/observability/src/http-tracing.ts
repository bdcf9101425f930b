// The HTTP server span, without an HTTP framework: service-kit's middleware starts it with what
// the request says and ends it with the route the router matched. Its name is "<method> <route>"
// ("GET /orders/:id"), never the raw path, so ids stay out of span names.
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from "@opentelemetry/semantic-conventions";
import { isTracing, parentContext, SpanKind, startSpan, traceparentOf } from "./tracing.js";

export interface ServerSpan {
  /** the traceparent to hand on (outbox rows): this span's context, or the incoming one when
   *  tracing is off */
  traceparent: string | undefined;
  /** Calls `next` with this span active, so what the request causes (queries) are its children
   *  (the body parser hands the context on past the body's socket events). */
  run(next: () => void): void;
  /** `route` is the matched route template, undefined when none matched */
  end(route: string | undefined, statusCode: number): void;
}

export interface IncomingRequest {
  method: string;
  path: string;
  scheme: string;
  httpVersion: string;
  traceparent: string | undefined;
}

export function startServerSpan(req: IncomingRequest): ServerSpan {
  // every request passes here: nothing but this object when nothing is recorded
  if (!isTracing()) return { traceparent: req.traceparent, run: (next) => next(), end() {} };
  const parent = parentContext(req.traceparent);
  const span = startSpan(req.method, SpanKind.SERVER, parent, {
    [ATTR_HTTP_REQUEST_METHOD]: req.method,
    [ATTR_URL_PATH]: req.path,
    [ATTR_URL_SCHEME]: req.scheme,
    [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
  });
  return {
    traceparent: traceparentOf(span, parent),
    run(next) {
      context.with(trace.setSpan(parent, span), next);
    },
    end(route, statusCode) {
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
      // a server span fails on 5xx only: a 4xx is the client's error, not the server's
      if (statusCode >= 500) {
        span.setAttribute(ATTR_ERROR_TYPE, String(statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
