// The ops console's configuration, parsed once at start-up; a bad value stops the process with a
// message naming the variable and what is wrong with it.
import {
  authEnv,
  checkApiServiceEnv,
  httpPort,
  httpUrl,
  httpUrlOrNone,
  positiveInt,
  serviceConfig,
  serviceEnv,
} from "@orderflow/config";
import { z } from "zod";

const config = serviceConfig("ops-console", checkApiServiceEnv, {
  PORT: httpPort(3005),
  ORDER_URL: httpUrl("http://127.0.0.1:3001").describe(
    "the order service: order search and timelines come from its read model",
  ),
  RELAY_URL: httpUrl("http://127.0.0.1:3004").describe(
    "the outbox relay: outbox backlog, oldest pending age and throughput per database",
  ),
  OPS_PROMETHEUS_URL: httpUrlOrNone("http://127.0.0.1:9090").describe(
    "the Prometheus the history charts ask (its /api/v1/query_range); none or empty: no charts, and the page says so",
  ),
  OPS_PAGE: z
    .enum(["built", "vite"])
    .default("built")
    .describe(
      "built: serve the built page (dist/web); vite: Vite's dev server with reload on edit, as `pnpm dev` runs it (needs the devDependencies)",
    ),
  OPS_HEALTH_CACHE_MS: positiveInt(1000).describe(
    "how long one flow-health snapshot is reused (many open pages, one set of broker questions)",
  ),
  OPS_MAX_REDRIVES: positiveInt(3).describe(
    "at most this many redrives of one dead letter (a loop guard, as `pnpm orderflow dlt redrive`)",
  ),
  OPS_IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24)
    .describe("how long an action's answer is replayed for a retry with the same Idempotency-Key"),
  ...authEnv,
  ...serviceEnv,
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
