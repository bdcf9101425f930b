// The payment service's configuration, parsed once at start-up; a bad value stops the process
// with a message naming the variable and what is wrong with it.
import { checkKafkaSecurityEnv, authEnv, checkAuthEnv, consumerRetryEnv, optionalPostgresUrl, parseEnv, port, positiveInt, postgresUrl, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const shape = {
  PORT: port(3002).describe("HTTP port of the service (`/healthz`, `/readyz`, `/metrics` and its API)"),
  DATABASE_URL: postgresUrl("postgresql://postgres@127.0.0.1:54329/orderflow_payment").describe("the service's own PostgreSQL database"),
  DATABASE_POOL_SIZE: positiveInt(10).describe("connections in the service's one `pg` pool, shared by Prisma and the hot paths"),
  MIGRATE_DATABASE_URL: optionalPostgresUrl().describe("migrations run with this role when set (schema changes), the service with DATABASE_URL"),
  PAYMENT_PROVIDER_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("http://127.0.0.1:3006").transform((u) => u.replace(/\/+$/, "")).describe("the card payment provider's API (locally apps/payment-provider, the simulator)"),
  PAYMENT_PROVIDER_TIMEOUT_MS: positiveInt(2000).describe("the deadline of one provider call; past it the call counts as unanswered and is retried"),
  PAYMENT_GATEWAY_FAILPOINT: z.enum(["unavailable"]).optional().describe("fault injection for tests and demos: `unavailable` makes every provider call fail without calling (retried, then dead-lettered: what a provider outage looks like to an operator)"),
  PAYMENT_CONSUMER_FAILPOINT: z
    .string()
    .regex(/^crash-after-(handled|provider):[1-9]\d*$/, "must be crash-after-handled:<n> or crash-after-provider:<n>")
    .transform((v) => {
      const [kind, n] = v.replace(/^crash-after-/, "").split(":");
      return kind === "handled" ? ({ kind: "crash-after-handled", n: Number(n) } as const) : ({ kind: "crash-after-provider", n: Number(n) } as const);
    })
    .optional()
    .describe("fault injection for tests (the reliability suite): `crash-after-handled:N` SIGKILLs the process once N records are applied in the database, before their offsets are committed; `crash-after-provider:N` once the provider has answered N calls, before the transaction that records the answers commits"),
  ...authEnv,
  ...serviceEnv,
  ...consumerRetryEnv,
};

export type PaymentEnv = ReturnType<typeof loadEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv("payment", shape, source, (env) => [...checkAuthEnv(env), ...checkKafkaSecurityEnv(env)]);
}

/** Every variable this service reads (deploy files are checked against it). */
export const ENV_KEYS = Object.keys(shape);

/** The schema of every variable, with its default and description (docs/configuration.md is generated from it). */
export const ENV_SHAPE = shape;
