// The payment provider simulator's configuration, parsed once at start-up; a bad value stops the
// process with a message naming the variable and what is wrong with it.
import { httpPort, nonNegativeInt, processEnv, serviceConfig } from "@orderflow/config";
import { z } from "zod";

const rate = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number from 0 to 1" })
    .min(0, "must be a number from 0 to 1")
    .max(1, "must be a number from 0 to 1")
    .default(fallback);
const millis = (fallback: number) =>
  z.coerce
    .number({ error: "must be a whole number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .nonnegative("must not be negative")
    .default(fallback);

const config = serviceConfig("payment-provider", undefined, {
  PORT: httpPort(3006),
  ...processEnv,
  PROVIDER_DECLINE_ABOVE: nonNegativeInt(100_000).describe(
    "authorizations above this amount (minor units: 100000 = 1000.00) are declined",
  ),
  PROVIDER_LATENCY_MS: millis(0).describe(
    "faults at start; PUT /admin/faults changes them while running. Delay before every answer:",
  ),
  PROVIDER_ERROR_RATE: rate(0).describe("share of requests answered 503 without anything applied"),
  PROVIDER_LOST_ANSWER_RATE: rate(0).describe(
    "share of requests applied and recorded whose answer never arrives (held, then the connection is dropped): a client sees its timeout",
  ),
  PROVIDER_LOST_ANSWER_HOLD_MS: millis(30_000).describe(
    "how long a lost answer holds the connection before dropping it (0: drop it at once)",
  ),
  PROVIDER_SEED: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .nonnegative("must not be negative")
    .max(0xffff_ffff, "must fit in 32 bits")
    .default(1)
    .describe("seed of the fault dice: the same seed and the same requests give the same faults"),
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
