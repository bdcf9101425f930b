// Blue/green replay of the read model: a new generation is built from offset 0 of every topic
// beside the live one, then switched to once it has caught up with the live generation's
// positions. The API serves the live generation throughout.
import { randomUUID } from "node:crypto";
import { databaseErrors } from "@orderflow/db-kit";
import { createEventConsumer, deleteConsumerGroup, type KafkaClient, type Publisher } from "@orderflow/kafka";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { applyRecords } from "./store.js";

export const PROJECTION_GROUP = "order-projection";
export const PROJECTION_TOPICS = ["order-events", "payment-events", "shipping-events"] as const;

export class ReplayInProgress extends Error {
  readonly code = "REPLAY_IN_PROGRESS";
  constructor(generation: number) {
    super(`generation ${generation} is already being built`);
  }
}

export interface ReplayDeps {
  db: Db;
  kafka: KafkaClient;
  publisher: Publisher;
  log: Logger;
  /** give up (and mark the generation failed) after this long */
  timeoutMs?: number;
  pollMs?: number;
}

/** Has `building` applied at least what the live generation has, on every partition? Switches
 *  under an exclusive lock on the live generation, which live applies hold shared. */
export async function trySwitch(db: Db, building: number): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const [live] = await tx.$queryRawUnsafe<{ generation: number }[]>(`SELECT generation FROM projection_generations WHERE status = 'live' FOR UPDATE`);
    const behind = await tx.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM projection_positions l LEFT JOIN projection_positions b ON b.generation = $2 AND b.topic = l.topic AND b.partition = l.partition
       WHERE l.generation = $1 AND l."offset" >= 0 AND (b."offset" IS NULL OR b."offset" < l."offset") LIMIT 1`,
      live!.generation,
      building,
    );
    if (behind.length > 0) return false;
    await tx.$executeRawUnsafe(`UPDATE projection_generations SET status = 'retired' WHERE generation = $1`, live!.generation);
    await tx.$executeRawUnsafe(`UPDATE projection_generations SET status = 'live', switched_at = now() WHERE generation = $1`, building);
    return true;
  });
}

export async function startReplay(deps: ReplayDeps): Promise<{ generation: number; done: Promise<"switched" | "failed"> }> {
  const generation = await deps.db.$transaction(async (tx) => {
    const [busy] = await tx.$queryRawUnsafe<{ generation: number }[]>(`SELECT generation FROM projection_generations WHERE status = 'building'`);
    if (busy) throw new ReplayInProgress(busy.generation);
    const [{ next }] = (await tx.$queryRawUnsafe<{ next: number }[]>(`SELECT max(generation) + 1 AS next FROM projection_generations`)) as [{ next: number }];
    await tx.$executeRawUnsafe(`INSERT INTO projection_generations (generation, status) VALUES ($1, 'building')`, next);
    return next;
  });
  const log = deps.log.child({ replay: generation });
  const groupId = `${PROJECTION_GROUP}-replay-${generation}-${randomUUID().slice(0, 8)}`;
  const consumer = createEventConsumer(deps.kafka, deps.publisher, {
    groupId,
    deadLetterGroup: PROJECTION_GROUP,
    topics: [...PROJECTION_TOPICS],
    fromBeginning: true,
    handler: async (run) => {
      await applyRecords(deps.db, generation, run.map((m) => ({ event: m.event, at: { topic: m.topic, partition: m.partition, offset: m.offset } })));
    },
    errors: databaseErrors,
  });
  await consumer.start();
  log.info({ groupId }, "replay started");
  const started = Date.now();
  const done = (async (): Promise<"switched" | "failed"> => {
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, deps.pollMs ?? 250));
        if (consumer.isReady() && (await trySwitch(deps.db, generation))) {
          log.info({ ms: Date.now() - started }, "replay caught up; switched to the new generation");
          return "switched";
        }
        if (Date.now() - started > (deps.timeoutMs ?? 10 * 60_000)) {
          await deps.db.$executeRawUnsafe(`UPDATE projection_generations SET status = 'failed' WHERE generation = $1`, generation);
          log.error({ ms: Date.now() - started }, "replay did not catch up in time; generation marked failed");
          return "failed";
        }
      }
    } finally {
      await consumer.stop();
      await deleteConsumerGroup(deps.kafka, groupId).catch(() => {});
    }
  })();
  return { generation, done };
}
