// The order service's configuration, parsed once at start-up; a bad value stops the process with
// a message naming the variable and what is wrong with it.
import { checkKafkaSecurityEnv, authEnv, checkAuthEnv, consumerRetryEnv, optionalPostgresUrl, parseEnv, port, positiveInt, postgresUrl, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const shape = {
  PORT: port(3001).describe("HTTP port of the service (`/healthz`, `/readyz`, `/metrics` and its API)"),
  DATABASE_URL: postgresUrl("postgresql://postgres@127.0.0.1:54329/orderflow_order").describe("the service's own PostgreSQL database"),
  DATABASE_POOL_SIZE: positiveInt(10).describe("connections in the service's one `pg` pool, shared by Prisma and the hot paths"),
  MIGRATE_DATABASE_URL: optionalPostgresUrl().describe("migrations run with this role when set (schema changes), the service with DATABASE_URL"),
  HTTP_RATE_LIMIT_PER_SECOND: z.coerce.number().int().nonnegative().default(200).describe("write requests (POST) per client address and second; 0 turns it off"),
  HTTP_IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().max(24 * 365).default(24).describe("how long the answer to a request with an Idempotency-Key is kept for its retries"),
  HTTP_IDEMPOTENCY_SWEEP_MS: positiveInt(600_000).describe("how often keys past their window are deleted"),
  ...authEnv,
  ...serviceEnv,
  ...consumerRetryEnv,
};

export type OrderEnv = ReturnType<typeof loadEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv("order", shape, source, (env) => [...checkAuthEnv(env), ...checkKafkaSecurityEnv(env)]);
}

/** Every variable this service reads (deploy files are checked against it). */
export const ENV_KEYS = Object.keys(shape);

/** The schema of every variable, with its default and description (docs/configuration.md is generated from it). */
export const ENV_SHAPE = shape;
