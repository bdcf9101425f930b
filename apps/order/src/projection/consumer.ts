// Consumer group `order-projection`: every event of every topic into the live read model.
import type { EventConsumer, ServiceConsumers } from "@orderflow/kafka";
import type { Db } from "../db/client.js";
import { PROJECTION_GROUP, PROJECTION_TOPICS } from "./replay.js";
import { applyRecords } from "./store.js";

/** the longest the projection lets records gather before it applies them */
const PROJECTION_MAX_WAIT_MS = 100;

export function createProjectionConsumer(consumers: ServiceConsumers, db: Db): EventConsumer {
  return consumers({
    groupId: PROJECTION_GROUP,
    topics: [...PROJECTION_TOPICS],
    // the read model may trail the events by up to a tenth of a second: batches of that tenth
    // instead of one or two records each, so it costs the order service a fraction of the round
    // trips it shares with the API and the saga (docs/performance.md)
    fetch: { minBytes: 256 * 1024, maxWaitMs: PROJECTION_MAX_WAIT_MS },
    // a run of records in one transaction, set-based; a failing run is handled again record by record
    handler: async (run, ctx) => {
      const applied = await applyRecords(
        db,
        "live",
        run.map((m) => ({ event: m.event, at: { topic: m.topic, partition: m.partition, offset: m.offset } })),
      );
      ctx.log.debug({ records: run.length, applied: applied.filter(Boolean).length }, "projected a run");
    },
    runs: { maxRecords: 100 },
  });
}
