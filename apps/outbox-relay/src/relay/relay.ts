// The relay: one outbox worker per configured service database, one shared Kafka producer. In
// poll mode a worker selects and marks outbox rows; in wal mode it reads them from the
// database's replication slot (docs/relay.md).
import type { Publisher } from "@orderflow/kafka";
import type { Logger } from "pino";
import { WalWorker } from "./wal-worker.js";
import { OutboxWorker, type WorkerOptions, type WorkerStatus } from "./worker.js";

export type RelayMode = "poll" | "wal";

export interface RelayOptions extends Omit<WorkerOptions, "name" | "url"> {
  databases: { name: string; url: string }[];
  publisher: Publisher;
  log: Logger;
  /** poll when left out */
  mode?: RelayMode;
  /** wal mode: a database's slot is `<slotPrefix>_<database name>` (slot names are cluster-wide) */
  slotPrefix?: string;
}

export interface Relay {
  start(): void;
  /** finishes the batch in flight, releases leadership, closes connections */
  stop(): Promise<void>;
  status(): Promise<WorkerStatus[]>;
  /** every database answers */
  ping(): Promise<void>;
}

/** The replication slot of database `name`: lower case, digits and underscores, as PostgreSQL allows. */
export const slotName = (prefix: string, name: string) => `${prefix}_${name}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");

export function createRelay(opts: RelayOptions): Relay {
  const { databases, publisher, log, mode = "poll", slotPrefix = "orderflow_relay", ...workerOpts } = opts;
  const workers = databases.map((d) =>
    mode === "wal"
      ? new WalWorker({ ...workerOpts, name: d.name, url: d.url, slot: slotName(slotPrefix, d.name) }, publisher, log)
      : new OutboxWorker({ ...workerOpts, name: d.name, url: d.url }, publisher, log),
  );
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
