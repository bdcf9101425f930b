// The relay's HTTP surface: health, readiness, metrics and its status per database.
import express from "express";
import { correlation, healthRouter, notFound, problemHandler, requestLogger, type ReadinessCheck, type Registry } from "@orderflow/observability";
import type { Logger } from "pino";
import type { Relay } from "../relay/relay.js";

export interface AppDeps {
  relay: Pick<Relay, "status">;
  log: Logger;
  registry: Registry;
  readiness: ReadinessCheck[];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(correlation(deps.log));
  app.use(requestLogger(deps.log));
  app.use(healthRouter({ checks: deps.readiness, registry: deps.registry }));
  app.get("/status", async (_req, res) => {
    res.json({ databases: await deps.relay.status() });
  });
  app.use(notFound());
  app.use(problemHandler(deps.log));
  return app;
}
