// The wal mode's replication-slot gauges (docs/relay.md), refreshed from the relay's status.
import type { Metrics } from "@orderflow/observability";
import type { Relay } from "./relay/relay.js";

/** the slot-lag gauges per database and slot, and the refresh that reads them from the relay */
export function slotGauges(metrics: Metrics, relay: Pick<Relay, "status">): () => Promise<void> {
  const bytes = metrics.gauge({
    name: "orderflow_relay_slot_lag_bytes",
    help: "WAL bytes between the server's position and the replication slot's confirmed position",
    labelNames: ["database", "slot"],
  });
  const seconds = metrics.gauge({
    name: "orderflow_relay_slot_lag_seconds",
    help: "Age of the oldest transaction the relay received from its slot and has not confirmed",
    labelNames: ["database", "slot"],
  });
  return async () => {
    for (const s of await relay.status()) {
      if (!s.slot || !s.reachable) continue;
      bytes.set({ database: s.database, slot: s.slot.name }, s.slot.lagBytes);
      seconds.set({ database: s.database, slot: s.slot.name }, s.slot.lagSeconds);
    }
  };
}
