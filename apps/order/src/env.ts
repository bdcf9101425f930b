// The order service's configuration, parsed once at start-up; a bad value stops the process with
// a message naming the variable and what is wrong with it.
import { consumingServiceConfig, httpPort, nonNegativeInt, positiveInt } from "@orderflow/config";
import { z } from "zod";

const config = consumingServiceConfig("order", 3001, "orderflow_order", {
  HTTP_RATE_LIMIT_PER_SECOND: nonNegativeInt(200).describe(
    "write requests (POST) per client address and second; 0 turns it off",
  ),
  HTTP_IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24)
    .describe("how long the answer to a request with an Idempotency-Key is kept for its retries"),
  HTTP_IDEMPOTENCY_SWEEP_MS: positiveInt(600_000).describe("how often keys past their window are deleted"),
  PROJECTION_PORT: httpPort(3007).describe(
    "the order projection process (dist/projection-main.js): the port of its health and metrics endpoints",
  ),
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
