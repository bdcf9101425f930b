// The payment service's configuration, parsed once at start-up; a bad value stops the process
// with a message naming the variable and what is wrong with it.
import { checkKafkaSecurityEnv, authEnv, checkAuthEnv, consumerRetryEnv, optionalPostgresUrl, parseEnv, port, positiveInt, postgresUrl, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const shape = {
  PORT: port(3002),
  DATABASE_URL: postgresUrl("postgresql://postgres@127.0.0.1:54329/orderflow_payment"),
  DATABASE_POOL_SIZE: positiveInt(10),
  /** migrations run with this role when set (schema changes), the service with DATABASE_URL */
  MIGRATE_DATABASE_URL: optionalPostgresUrl(),
  /** the simulated gateway declines payments above this amount (minor units: 100000 = 1000.00) */
  PAYMENT_DECLINE_ABOVE: z.coerce.number().int().nonnegative().default(100_000),
  /** the simulated gateway's round trip in ms (0: instant; fault tests slow handlers down with it) */
  PAYMENT_GATEWAY_LATENCY_MS: z.coerce.number().int().nonnegative().default(0),
  /** fault injection for tests and demos: `unavailable` makes the simulated gateway fail every
   *  call (retried, then dead-lettered: what a provider outage looks like to an operator) */
  PAYMENT_GATEWAY_FAILPOINT: z.enum(["unavailable"]).optional(),
  /** fault injection for tests: `crash-after-handled:N` SIGKILLs the process once N records are
   *  applied in the database, before their offsets are committed (the reliability suite) */
  PAYMENT_CONSUMER_FAILPOINT: z
    .string()
    .regex(/^crash-after-handled:[1-9]\d*$/, "must be crash-after-handled:<n>")
    .transform((v) => ({ crashAfterHandled: Number(v.split(":")[1]) }))
    .optional(),
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
