// The shipping service's configuration, parsed once at start-up; a bad value stops the process
// with a message naming the variable and what is wrong with it.
import { checkKafkaSecurityEnv, authEnv, checkAuthEnv, consumerRetryEnv, optionalPostgresUrl, parseEnv, port, positiveInt, postgresUrl, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const shape = {
  PORT: port(3003).describe("HTTP port of the service (`/healthz`, `/readyz`, `/metrics` and its API)"),
  DATABASE_URL: postgresUrl("postgresql://postgres@127.0.0.1:54329/orderflow_shipping").describe("the service's own PostgreSQL database"),
  DATABASE_POOL_SIZE: positiveInt(10).describe("connections in the service's one `pg` pool, shared by Prisma and the hot paths"),
  MIGRATE_DATABASE_URL: optionalPostgresUrl().describe("migrations run with this role when set (schema changes), the service with DATABASE_URL"),
  SHIPPING_DISPATCH_DELAY_MS: z.coerce.number().int().nonnegative().default(2000).describe("simulated warehouse handling time: a paid order's shipment waits this long for pickup, and a cancel in that window cancels the shipment"),
  SHIPPING_DISPATCH_POLL_MS: positiveInt(250).describe("how often shipments due for dispatch are looked for"),
  ...authEnv,
  ...serviceEnv,
  ...consumerRetryEnv,
};

export type ShippingEnv = ReturnType<typeof loadEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv("shipping", shape, source, (env) => [...checkAuthEnv(env), ...checkKafkaSecurityEnv(env)]);
}

/** Every variable this service reads (deploy files are checked against it). */
export const ENV_KEYS = Object.keys(shape);

/** The schema of every variable, with its default and description (docs/configuration.md is generated from it). */
export const ENV_SHAPE = shape;
