// The relay: one outbox worker per configured service database, one shared Kafka producer.
import type { Publisher } from "@orderflow/kafka";
import type { Logger } from "pino";
import { OutboxWorker, type WorkerOptions, type WorkerStatus } from "./worker.js";

export interface RelayOptions extends Omit<WorkerOptions, "name" | "url"> {
  databases: { name: string; url: string }[];
  publisher: Publisher;
  log: Logger;
}

export interface Relay {
  start(): void;
  /** finishes the batch in flight, releases leadership, closes connections */
  stop(): Promise<void>;
  status(): Promise<WorkerStatus[]>;
  /** every database answers */
  ping(): Promise<void>;
}

export function createRelay(opts: RelayOptions): Relay {
  const { databases, publisher, log, ...workerOpts } = opts;
  const workers = databases.map((d) => new OutboxWorker({ ...workerOpts, name: d.name, url: d.url }, publisher, log));
  return {
    start: () => {
      for (const w of workers) w.start();
    },
    stop: async () => void (await Promise.all(workers.map((w) => w.stop()))),
    status: () => Promise.all(workers.map((w) => w.status())),
    ping: async () => {
      const failed: string[] = [];
      await Promise.all(
        workers.map((w) => w.ping().catch((e: Error) => failed.push(`${w.log.bindings().database}: ${e.message}`))),
      );
      if (failed.length) throw new Error(failed.join("; "));
    },
  };
}
