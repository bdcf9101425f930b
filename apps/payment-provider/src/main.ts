// Composition root of the payment provider simulator: configuration, the in-memory ledger, the
// fault dice and HTTP. It holds no database: a restart forgets every request it was sent.
import { randomUUID } from "node:crypto";
import { createLogger, createMetrics } from "@orderflow/observability";
import { runMain, serve } from "@orderflow/service-kit";
import { Faults } from "./domain/faults.js";
import { loadEnv } from "./env.js";
import { createApp } from "./http/app.js";
import { HeldAnswers } from "./http/held.js";
import { Ledger } from "./ledger.js";

const SERVICE = "payment-provider";

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ service: SERVICE, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const metrics = createMetrics(SERVICE);
  const faults = new Faults(
    {
      latencyMs: env.PROVIDER_LATENCY_MS,
      errorRate: env.PROVIDER_ERROR_RATE,
      lostAnswerRate: env.PROVIDER_LOST_ANSWER_RATE,
      lostAnswerHoldMs: env.PROVIDER_LOST_ANSWER_HOLD_MS,
    },
    env.PROVIDER_SEED,
  );
  const ledger = new Ledger({ clock: () => new Date(), newId: randomUUID, declineAbove: env.PROVIDER_DECLINE_ABOVE });
  const held = new HeldAnswers();
  const app = createApp({ log, metrics, ledger, faults, held });

  const { errorRate, lostAnswerRate, latencyMs } = faults.current();
  if (errorRate > 0 || lostAnswerRate > 0 || latencyMs > 0)
    log.warn({ faults: faults.current() }, "fault injection enabled");
  const listening: [object, string] = [
    { port: env.PORT, declineAbove: env.PROVIDER_DECLINE_ABOVE, seed: env.PROVIDER_SEED },
    "payment provider simulator listening",
  ];
  const shutdown = { graceMs: env.SHUTDOWN_GRACE_MS, drainMs: env.SHUTDOWN_DRAIN_MS };
  // a withheld answer would keep its connection, and so the server, open past the grace period
  serve(app, { port: env.PORT, log, ...shutdown, listening, beforeClose: () => held.dropAll() }, []);
}

runMain(SERVICE, main);
