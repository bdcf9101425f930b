// The shipping service's HTTP API (read-only: shipments change only through events).
import { createServiceApp, HttpProblem, requireScope, SCOPES, type ServiceAppDeps, type Verifier } from "@orderflow/observability";
import { z } from "zod";
import type { Shipment } from "../domain/shipment.js";
import { isOutage } from "@orderflow/db-kit";

export interface AppDeps extends ServiceAppDeps {
  /** checks bearer tokens (createVerifier): reading needs the orders:read scope */
  verify: Verifier;
  listShipments(orderId: string): Promise<Shipment[]>;
}

const Query = z.object({ orderId: z.uuid({ error: "must be an order id (uuid)" }) });

export function createApp(deps: AppDeps) {
  return createServiceApp({ ...deps, isUnavailable: isOutage }, (app) => {
    app.get("/shipments", requireScope(deps.verify, SCOPES.read), async (req, res) => {
      const q = Query.safeParse(req.query);
      if (!q.success) throw new HttpProblem(400, "Invalid query", `orderId: ${q.error.issues[0]?.message}`, { errors: [{ field: "orderId", message: q.error.issues[0]?.message }] });
      res.json({ shipments: await deps.listShipments(q.data.orderId) });
    });
  });
}
