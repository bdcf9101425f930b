// Public surface of @orderflow/service-kit: what every service's HTTP side and process start from.
export { createServiceApp, type ServiceAppDeps } from "./app.js";
export { createListByOrderApp, type ListByOrderAppDeps } from "./list-by-order.js";
export { healthRouter, type ReadinessCheck } from "./health.js";
export {
  correlation,
  CORRELATION_HEADER,
  fieldErrors,
  HttpProblem,
  httpMetrics,
  notFound,
  problemHandler,
  requestLogger,
  type FieldError,
} from "./http.js";
export {
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  idempotentInMemory,
  keyInFlight,
  keyReused,
  REPLAYED_HEADER,
  requestFingerprint,
} from "./idempotency.js";
export {
  createVerifier,
  requireScope,
  SCOPES,
  signToken,
  type AuthAlgorithm,
  type AuthSettings,
  type Principal,
  type Verifier,
} from "./auth.js";
export { onShutdown, runMain } from "./shutdown.js";
export { kafkaService, readyWhen, serve, serviceKafka, startConsuming } from "./bootstrap.js";
