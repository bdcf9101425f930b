// OpenTelemetry tracing with W3C trace context. Off by default (TRACES_EXPORTER=none): then no
// spans are recorded but an incoming traceparent still travels on unchanged, so a trace started
// upstream continues across HTTP → outbox → relay → consumers. With an exporter each hop is a
// span (server, producer, consumer) whose context replaces the traceparent it passes on, and the
// spans of one service carry its resource (service.name, service.version, deployment.environment).
import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  SEMRESATTRS_DEPLOYMENT_ENVIRONMENT,
} from "@opentelemetry/semantic-conventions";

export type TracesExporter = "none" | "console" | "otlp";

export interface ServiceIdentity {
  service: string;
  /** the service's release: its package.json version */
  version: string;
  /** where it runs: local, staging, production … (DEPLOYMENT_ENVIRONMENT) */
  environment: string;
}

const w3c = new W3CTraceContextPropagator();
let tracerName = "orderflow";
/** whether spans are recorded: without an exporter a hop is free (the traceparent passes on as is) */
let recording = false;

/** Library instrumentations registered before their library loaded (instrument.ts); unpatched
 *  when nothing is recorded. */
export const instrumentLibraries: Instrumentation[] = [];

/** The resource every span of the service carries. deployment.environment is the name backends
 *  and the issue know; deployment.environment.name is the current semantic conventions' name. */
export function serviceResource(id: ServiceIdentity): Resource {
  return resourceFromAttributes({
    [ATTR_SERVICE_NAME]: id.service,
    [ATTR_SERVICE_VERSION]: id.version,
    [SEMRESATTRS_DEPLOYMENT_ENVIRONMENT]: id.environment,
    [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: id.environment,
  });
}

export function initTracing(
  opts: ServiceIdentity & { exporter: TracesExporter; otlpUrl?: string; spanExporter?: SpanExporter },
): { shutdown(): Promise<void> } {
  tracerName = opts.service;
  propagation.setGlobalPropagator(w3c);
  if (opts.exporter === "none" && !opts.spanExporter) {
    recording = false;
    for (const i of instrumentLibraries) i.disable();
    return { shutdown: async () => {} };
  }
  recording = true;
  const exporter =
    opts.spanExporter ??
    (opts.exporter === "console"
      ? new ConsoleSpanExporter()
      : new OTLPTraceExporter(opts.otlpUrl ? { url: opts.otlpUrl } : {}));
  const provider = new NodeTracerProvider({
    resource: serviceResource(opts),
    spanProcessors: [opts.spanExporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  // registers the AsyncLocalStorage context manager too: a span made active stays active across awaits
  provider.register({ propagator: w3c });
  return {
    shutdown: async () => {
      recording = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** Whether spans are recorded (an exporter is configured). */
export const isTracing = (): boolean => recording;

const getter = {
  get: (c: unknown, k: string) => (c as Record<string, string>)[k],
  keys: (c: unknown) => Object.keys(c as object),
};

/** The context `traceparent` names, or the active one. */
export function parentContext(traceparent: string | undefined): Context {
  return traceparent ? w3c.extract(context.active(), { traceparent }, getter) : context.active();
}

/** The traceparent that hands `span` on. */
export function traceparentOf(span: Span, parent: Context): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpan(parent, span), carrier, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
  return carrier.traceparent;
}

export function startSpan(name: string, kind: SpanKind, parent: Context, attributes: Attributes): Span {
  return trace.getTracer(tracerName).startSpan(name, { kind, attributes }, parent);
}

/** Ends `span`, marked failed by `error` when there is one. */
export function endSpan(span: Span, error?: unknown): void {
  if (error) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

export { SpanKind };
