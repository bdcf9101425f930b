// Blue/green replay of the read model: a new generation is built from offset 0 of every topic
// beside the live one, then switched to once it has caught up with the live generation's
// positions. The API serves the live generation throughout.
import { randomUUID } from "node:crypto";
import { databaseErrors } from "@orderflow/db-kit";
import { createEventConsumer, deleteConsumerGroup, type KafkaClient, type Publisher } from "@orderflow/kafka";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { markGenerationFailed, startGeneration, switchIfCaughtUp } from "../db/read-model.js";
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

export async function startReplay(
  deps: ReplayDeps,
): Promise<{ generation: number; done: Promise<"switched" | "failed"> }> {
  const claimed = await startGeneration(deps.db);
  if ("busy" in claimed) throw new ReplayInProgress(claimed.busy);
  const generation = claimed.generation;
  const log = deps.log.child({ replay: generation });
  const groupId = `${PROJECTION_GROUP}-replay-${generation}-${randomUUID().slice(0, 8)}`;
  const consumer = createEventConsumer(deps.kafka, deps.publisher, {
    groupId,
    deadLetterGroup: PROJECTION_GROUP,
    topics: [...PROJECTION_TOPICS],
    fromBeginning: true,
    handler: async (run) => {
      await applyRecords(
        deps.db,
        generation,
        run.map((m) => ({ event: m.event, at: { topic: m.topic, partition: m.partition, offset: m.offset } })),
      );
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
        if (consumer.isReady() && (await switchIfCaughtUp(deps.db, generation))) {
          log.info({ ms: Date.now() - started }, "replay caught up; switched to the new generation");
          return "switched";
        }
        if (Date.now() - started > (deps.timeoutMs ?? 10 * 60_000)) {
          await markGenerationFailed(deps.db, generation);
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
