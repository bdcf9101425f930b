// The order service's configuration, parsed once at start-up; a bad value stops the process with
// a message naming the variable and what is wrong with it.
import { checkKafkaSecurityEnv, authEnv, checkAuthEnv, consumerRetryEnv, optionalPostgresUrl, parseEnv, port, positiveInt, postgresUrl, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const shape = {
  PORT: port(3001),
  DATABASE_URL: postgresUrl("postgresql://postgres@127.0.0.1:54329/orderflow_order"),
  DATABASE_POOL_SIZE: positiveInt(10),
  /** migrations run with this role when set (schema changes), the service with DATABASE_URL */
  MIGRATE_DATABASE_URL: optionalPostgresUrl(),
  /** write requests (POST) per client address and second; 0 turns it off */
  HTTP_RATE_LIMIT_PER_SECOND: z.coerce.number().int().nonnegative().default(200),
  /** how long the answer to a request with an Idempotency-Key is kept for its retries */
  HTTP_IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().max(24 * 365).default(24),
  /** how often keys past their window are deleted */
  HTTP_IDEMPOTENCY_SWEEP_MS: positiveInt(600_000),
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
