// Public surface of @orderflow/observability: logs, metrics and traces, with no HTTP framework in
// it (the express middleware built on these lives in @orderflow/service-kit).
export { createLogger, type LogFormat, type Logger } from "./logger.js";
export { createMetrics, type Metrics, type Registry } from "./metrics.js";
export { kafkaConsumerMetrics } from "./kafka-metrics.js";
export { initTracing, type ServiceIdentity, type TracesExporter } from "./tracing.js";
export { startServerSpan, type ServerSpan } from "./http-tracing.js";
export { consumerTracing, traceSends } from "./messaging-tracing.js";
