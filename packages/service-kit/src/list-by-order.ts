// The HTTP API of a service whose state changes only through events: health, readiness, metrics
// and one read-only list of the rows an order has, for callers with the orders:read scope.
import type express from "express";
import { z } from "zod";
import { createServiceApp, type ServiceAppDeps } from "./app.js";
import { requireScope, SCOPES, type Verifier } from "./auth.js";
import { HttpProblem } from "./http.js";

export interface ListByOrderAppDeps<Row> extends ServiceAppDeps {
  /** checks bearer tokens (createVerifier): reading needs the orders:read scope */
  verify: Verifier;
  list(orderId: string): Promise<Row[]>;
}

const Query = z.object({ orderId: z.uuid({ error: "must be an order id (uuid)" }) });

/** GET `path`?orderId=<uuid> answers `body(rows)`; a missing or malformed orderId is a 400 naming it. */
export function createListByOrderApp<Row>(
  deps: ListByOrderAppDeps<Row>,
  path: string,
  body: (rows: Row[]) => object,
): express.Express {
  return createServiceApp(deps, (app) => {
    app.get(path, requireScope(deps.verify, SCOPES.read), async (req, res) => {
      const q = Query.safeParse(req.query);
      if (!q.success)
        throw new HttpProblem(400, "Invalid query", `orderId: ${q.error.issues[0]?.message}`, {
          errors: [{ field: "orderId", message: q.error.issues[0]?.message }],
        });
      res.json(body(await deps.list(q.data.orderId)));
    });
  });
}
