import { createLogger } from "@orderflow/observability";
import type { Server } from "node:http";
import type { Logger } from "pino";

/** On SIGTERM/SIGINT: stop taking requests, then run the steps in order (stop consumers, flush,
 *  disconnect); exit non-zero if the grace period runs out first. */
export function onShutdown(
  opts: { log: Logger; graceMs: number; server?: Server },
  steps: (() => Promise<unknown>)[],
): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    opts.log.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      opts.log.error({ graceMs: opts.graceMs }, "grace period over before shutdown finished; exiting");
      process.exit(1);
    }, opts.graceMs);
    force.unref();
    try {
      if (opts.server) {
        const closed = new Promise<void>((resolve) => opts.server!.close(() => resolve()));
        opts.server.closeIdleConnections();
        await closed;
      }
      for (const step of steps) await step();
      opts.log.info("stopped");
      clearTimeout(force);
      process.exit(0);
    } catch (err) {
      opts.log.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
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
