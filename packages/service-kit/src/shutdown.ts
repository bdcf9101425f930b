import { createLogger } from "@orderflow/observability";
import type { Logger } from "pino";
import type { DrainableServer } from "./drain.js";

export interface ShutdownOptions {
  log: Logger;
  /** how long the server keeps serving, /readyz answering 503, before it closes */
  drainMs: number;
  server?: DrainableServer;
  /** ends what would hold a connection open past the close (a withheld answer), once the drain is over */
  beforeClose?: () => void;
  /** waits out the drain; tests hand in one they control */
  delay?: (ms: number) => Promise<unknown>;
}

/** The shutdown sequence: drain (readiness 503, requests still served) for `drainMs`, close the
 *  server and wait for the requests in flight, then run the steps in order (stop consumers,
 *  flush, disconnect). `drained` is called once the drain is over. */
export async function shutDown(
  opts: ShutdownOptions,
  steps: (() => Promise<unknown>)[],
  drained: () => void = () => {},
): Promise<void> {
  if (opts.server && opts.drainMs > 0) {
    opts.server.startDrain();
    opts.log.info({ drainMs: opts.drainMs }, "draining: /readyz answers 503, requests are still served");
    await (opts.delay ?? sleep)(opts.drainMs);
  }
  drained();
  opts.beforeClose?.();
  if (opts.server) {
    opts.log.info("closing the server: no new connections, waiting for requests in flight");
    await opts.server.close();
  }
  for (const step of steps) await step();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** On SIGTERM/SIGINT: shutDown, then exit 0; non-zero if the grace period, counted from the end of
 *  the drain, runs out first. A second signal exits at once (128 + its number). */
export function onShutdown(opts: ShutdownOptions & { graceMs: number }, steps: (() => Promise<unknown>)[]): void {
  let stopping = false;
  const startGraceTimer = () => {
    const force = setTimeout(() => {
      opts.log.error({ graceMs: opts.graceMs }, "grace period over before shutdown finished; exiting");
      process.exit(1);
    }, opts.graceMs);
    force.unref();
  };
  const stop = async (signal: keyof typeof SIGNAL_EXIT) => {
    if (stopping) {
      opts.log.warn({ signal }, "second signal: exiting at once");
      process.exit(SIGNAL_EXIT[signal]);
    }
    stopping = true;
    opts.log.info({ signal, drainMs: opts.drainMs }, "shutting down");
    try {
      await shutDown(opts, steps, startGraceTimer);
      opts.log.info("stopped");
      process.exit(0);
    } catch (err) {
      opts.log.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Runs a service's start-up; a failure ends the process with one line: a configuration error
 *  as its plain message (for the person at the terminal), anything else as a fatal JSON log. */
export function runMain(service: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof Error && err.name === "ConfigError") console.error(err.message);
    else createLogger({ service }).fatal({ err }, "failed to start");
    process.exit(1);
  });
}
