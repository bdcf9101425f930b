// Imported first by each service's main module (`import "@orderflow/observability/instrument"`):
// the pg instrumentation patches `pg` as it loads, so it has to be registered before any module
// that imports `pg` (db-kit, Prisma's adapter) is evaluated. initTracing unpatches it again when
// TRACES_EXPORTER=none, so queries then run through pg untouched.
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { instrumentLibraries } from "./tracing.js";

// queries outside a span (the relay's polling, pool housekeeping) start no trace of their own
const pg = new PgInstrumentation({ requireParentSpan: true });
registerInstrumentations({ instrumentations: [pg] });
instrumentLibraries.push(pg);
