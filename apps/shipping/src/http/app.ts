// The shipping service's HTTP API (read-only: shipments change only through events).
import express from "express";
import { correlation, healthRouter, HttpProblem, httpMetrics, notFound, problemHandler, requestLogger, type ReadinessCheck, type Registry } from "@orderflow/observability";
import type { Logger } from "pino";
import { z } from "zod";
import type { Shipment } from "../domain/shipment.js";

export interface AppDeps {
  listShipments(orderId: string): Promise<Shipment[]>;
  log: Logger;
  registry: Registry;
  readiness: ReadinessCheck[];
}

const Query = z.object({ orderId: z.uuid({ error: "must be an order id (uuid)" }) });

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(correlation(deps.log));
  app.use(requestLogger(deps.log));
  app.use(httpMetrics(deps.registry));
  app.use(healthRouter({ checks: deps.readiness, registry: deps.registry }));

  app.get("/shipments", async (req, res) => {
    const q = Query.safeParse(req.query);
    if (!q.success) throw new HttpProblem(400, "Invalid query", `orderId: ${q.error.issues[0]?.message}`, { errors: [{ field: "orderId", message: q.error.issues[0]?.message }] });
    res.json({ shipments: await deps.listShipments(q.data.orderId) });
  });

  app.use(notFound());
  app.use(problemHandler(deps.log));
  return app;
}
