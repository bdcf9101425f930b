// The relay's HTTP surface: health, readiness, metrics and its status per database.
import { createServiceApp, type ServiceAppDeps } from "@orderflow/observability";
import type { Relay } from "../relay/relay.js";
import { isOutage } from "@orderflow/db-kit";

export interface AppDeps extends ServiceAppDeps {
  relay: Pick<Relay, "status">;
}

export function createApp(deps: AppDeps) {
  return createServiceApp({ ...deps, isUnavailable: isOutage }, (app) => {
    app.get("/status", async (_req, res) => {
      res.json({ databases: await deps.relay.status() });
    });
  });
}
