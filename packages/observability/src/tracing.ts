// OpenTelemetry tracing with W3C trace context. Off by default (TRACES_EXPORTER=none): then no
// spans are recorded but an incoming traceparent still travels on unchanged, so a trace started
// upstream continues across HTTP → outbox → relay → consumers. With an exporter each hop is a
// span (server, producer, consumer) whose context replaces the traceparent it passes on.
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

export type TracesExporter = "none" | "console" | "otlp";

const w3c = new W3CTraceContextPropagator();
let tracerName = "orderflow";
/** whether spans are recorded: without an exporter a hop is free (the traceparent passes on as is) */
let recording = false;

export function initTracing(opts: {
  service: string;
  exporter: TracesExporter;
  otlpUrl?: string;
  spanExporter?: SpanExporter;
}): { shutdown(): Promise<void> } {
  tracerName = opts.service;
  propagation.setGlobalPropagator(w3c);
  if (opts.exporter === "none" && !opts.spanExporter) {
    recording = false;
    return { shutdown: async () => {} };
  }
  recording = true;
  const exporter =
    opts.spanExporter ??
    (opts.exporter === "console"
      ? new ConsoleSpanExporter()
      : new OTLPTraceExporter(opts.otlpUrl ? { url: opts.otlpUrl } : {}));
  const provider = new NodeTracerProvider({
    spanProcessors: [opts.spanExporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register({ propagator: w3c });
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      recording = false;
      await provider.shutdown();
    },
  };
}

const untraced = (traceparent: string | undefined): HopSpan => ({ traceparent, end() {} });

export interface HopSpan {
  /** the traceparent to hand on: this span's context, or the incoming one when tracing is off */
  traceparent: string | undefined;
  end(error?: unknown): void;
}

/** Start a span as the child of `traceparent` (if any). */
export function startHop(
  name: string,
  kind: "server" | "producer" | "consumer",
  traceparent: string | undefined,
  attributes: Record<string, string | number> = {},
): HopSpan {
  // the relay starts one per record: no context parsing when nothing is recorded
  if (!recording) return untraced(traceparent);
  const parent = traceparent
    ? w3c.extract(
        context.active(),
        { traceparent },
        { get: (c, k) => (c as Record<string, string>)[k], keys: (c) => Object.keys(c as object) },
      )
    : context.active();
  const span: Span = trace.getTracer(tracerName).startSpan(
    name,
    {
      kind: kind === "server" ? SpanKind.SERVER : kind === "producer" ? SpanKind.PRODUCER : SpanKind.CONSUMER,
      attributes,
    },
    parent,
  );
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpan(parent, span), carrier, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
  return {
    traceparent: carrier.traceparent ?? traceparent,
    end(error?: unknown) {
      if (error) {
        span.recordException(error instanceof Error ? error : new Error(String(error)));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/** A consumer observer hook: each record's handling is a consumer span, child of its record's
 *  traceparent; the handler sees the span's traceparent in the record's headers. */
export const consumerTracing = {
  around: async <T>(
    o: { group: string; topic: string; headers: Record<string, string> },
    fn: () => Promise<T>,
  ): Promise<T> => {
    const hop = startHop(`${o.topic} process`, "consumer", o.headers.traceparent, {
      "messaging.system": "kafka",
      "messaging.destination.name": o.topic,
      "messaging.consumer.group.name": o.group,
    });
    if (hop.traceparent) o.headers.traceparent = hop.traceparent;
    try {
      const r = await fn();
      hop.end();
      return r;
    } catch (e) {
      hop.end(e);
      throw e;
    }
  },
};
