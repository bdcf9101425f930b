// The express app every service starts from: correlation ids, request logs and metrics, JSON
// bodies, health endpoints, then the service's routes, then problem+json for every error.
import express from "express";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { healthRouter, type ReadinessCheck } from "./health.js";
import {
  correlation,
  type HttpProblem,
  httpMetrics,
  notFound,
  problemHandler,
  rejectUnstorableText,
  requestLogger,
} from "./http.js";

export interface ServiceAppDeps {
  log: Logger;
  registry: Registry;
  readiness: ReadinessCheck[];
  /** turns the service's own errors (business rules, say) into problems */
  mapError?: (err: unknown) => HttpProblem | undefined;
  /** a dependency outage (database down): answered 503 + Retry-After instead of 500 */
  isUnavailable?: (err: unknown) => boolean;
}

export function createServiceApp(deps: ServiceAppDeps, routes: (app: express.Express) => void): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    correlation(deps.log),
    requestLogger(deps.log),
    httpMetrics(deps.registry),
    express.json({ limit: "100kb" }),
    rejectUnstorableText(),
  );
  app.use(healthRouter({ checks: deps.readiness, registry: deps.registry }));
  routes(app);
  app.use(notFound());
  if (deps.mapError) {
    const map = deps.mapError;
    app.use((err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) =>
      next(map(err) ?? err),
    );
  }
  app.use(problemHandler(deps.log, deps.isUnavailable));
  return app;
}
