// The consumer's per-key parking, kept in the service's own database so that every member of a
// consumer group, and the next one after a rebalance or restart, sees the same parked keys.
// Shape-compatible with @orderflow/kafka's KeyParking (this package does not import kafkajs).
import type { SqlExecutor } from "./outbox.js";

export interface ParkedAtRow {
  topic: string;
  partition: number;
  offset: string;
  redriveId: string | null;
}

export function sqlKeyParking(db: SqlExecutor, consumerGroup: string) {
  return {
    async blocked(keys: string[]): Promise<Map<string, ParkedAtRow>> {
      const rows = await db.$queryRawUnsafe<{ key: string; topic: string; partition: number; offset: string; redrive_id: string | null }[]>(
        `SELECT key, topic, partition, "offset", redrive_id FROM parked_keys WHERE consumer_group = $1 AND key = ANY($2::text[])`,
        consumerGroup,
        keys,
      );
      return new Map(rows.map((r) => [r.key, { topic: r.topic, partition: r.partition, offset: r.offset, redriveId: r.redrive_id }]));
    },
    async block(key: string, at: ParkedAtRow): Promise<void> {
      await db.$executeRawUnsafe(
        `INSERT INTO parked_keys (consumer_group, key, topic, partition, "offset", redrive_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (consumer_group, key) DO UPDATE SET topic = EXCLUDED.topic, partition = EXCLUDED.partition, "offset" = EXCLUDED."offset", redrive_id = EXCLUDED.redrive_id, parked_at = now()`,
        consumerGroup, key, at.topic, at.partition, at.offset, at.redriveId,
      );
    },
    async release(key: string, redriveId: string): Promise<boolean> {
      // a head that failed again during this very redrive keeps its key parked
      const kept = await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM parked_keys WHERE consumer_group = $1 AND key = $2 AND redrive_id = $3`, consumerGroup, key, redriveId);
      if (kept.length > 0) return false;
      await db.$executeRawUnsafe(`DELETE FROM parked_keys WHERE consumer_group = $1 AND key = $2`, consumerGroup, key);
      return true;
    },
  };
}
