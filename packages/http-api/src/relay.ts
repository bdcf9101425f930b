// What the outbox relay answers (apps/outbox-relay/src/http/app.ts).
import { z } from "zod";

/** one service database the relay publishes from */
export const OutboxStatus = z.object({
  database: z.string(),
  /** poll: the outbox table is polled and rows marked; wal: read from a replication slot (docs/relay.md) */
  mode: z.enum(["poll", "wal"]).default("poll"),
  /** whether this replica holds the database's relay lock */
  leader: z.boolean(),
  reachable: z.boolean(),
  backlog: z.number(),
  oldestPendingSeconds: z.number(),
  /** rows published per second over the last minute (or since start, when younger) */
  publishedPerSecond: z.number(),
  /** wal mode: the database's replication slot, as this replica sees it */
  slot: z
    .object({
      name: z.string(),
      /** false while no slot exists (before the first start, or after it was lost) */
      exists: z.boolean(),
      /** WAL bytes between the server's position and the slot's confirmed position */
      lagBytes: z.number(),
      /** age of the oldest transaction received and not yet confirmed (0 on a standby) */
      lagSeconds: z.number(),
    })
    .optional(),
});
export type OutboxStatus = z.infer<typeof OutboxStatus>;

/** GET /status */
export const RelayStatus = z.object({ databases: z.array(OutboxStatus) });
export type RelayStatus = z.infer<typeof RelayStatus>;
