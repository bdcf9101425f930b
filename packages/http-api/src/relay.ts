// What the outbox relay answers (apps/outbox-relay/src/http/app.ts).
import { z } from "zod";

/** one service database the relay publishes from */
export const OutboxStatus = z.object({
  database: z.string(),
  /** whether this replica holds the database's relay lock */
  leader: z.boolean(),
  reachable: z.boolean(),
  backlog: z.number(),
  oldestPendingSeconds: z.number(),
  /** rows published per second over the last minute (or since start, when younger) */
  publishedPerSecond: z.number(),
});
export type OutboxStatus = z.infer<typeof OutboxStatus>;

/** GET /status */
export const RelayStatus = z.object({ databases: z.array(OutboxStatus) });
export type RelayStatus = z.infer<typeof RelayStatus>;
