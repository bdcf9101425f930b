// Public surface of @orderflow/observability: logs, metrics and traces, with no HTTP framework in
// it (the express middleware built on these lives in @orderflow/service-kit).
export { createLogger, type LogFormat, type Logger } from "./logger.js";
export { createMetrics, type Metrics, type Registry } from "./metrics.js";
export { kafkaConsumerMetrics } from "./kafka-metrics.js";
export { consumerTracing, initTracing, startHop, type HopSpan, type TracesExporter } from "./tracing.js";
