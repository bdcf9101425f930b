// Public surface of @orderflow/observability.
export { createLogger, type Logger } from "./logger.js";
export { createMetrics, type Metrics, type Registry } from "./metrics.js";
export { healthRouter, type ReadinessCheck } from "./health.js";
export { correlation, CORRELATION_HEADER, fieldErrors, HttpProblem, httpMetrics, notFound, problemHandler, requestLogger, type FieldError } from "./http.js";
export { onShutdown, runMain } from "./shutdown.js";
export { IDEMPOTENCY_HEADER, idempotencyKeyOf, idempotentInMemory, keyInFlight, keyReused, REPLAYED_HEADER, requestFingerprint } from "./idempotency.js";
export { createServiceApp, type ServiceAppDeps } from "./app.js";
export { kafkaConsumerMetrics } from "./kafka-metrics.js";
export { consumerTracing, initTracing, startHop, type HopSpan, type TracesExporter } from "./tracing.js";
export { createVerifier, requireScope, SCOPES, signToken, type AuthAlgorithm, type AuthSettings, type Principal, type Verifier } from "./auth.js";
