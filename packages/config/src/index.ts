// Service configuration from environment variables: the field builders every service shares and
// one parse that fails fast, naming each variable and what is wrong with it.
import { z } from "zod";

export const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number" })
    .int("must be a port number")
    .min(0)
    .max(65535, "must be a port number (0-65535)")
    .default(fallback);

export const postgresUrl = (fallback: string) =>
  z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).default(fallback);

export const optionalPostgresUrl = () =>
  z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).optional();

/** comma-separated host:port list */
export const kafkaBrokers = (fallback = "127.0.0.1:19092") =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(",")
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, "each broker must be host:port")).min(1, "at least one broker"));

export const logLevel = () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info");

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** An http(s) URL without its trailing slashes (a base to append paths to). */
export const httpUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .default(fallback)
    .transform((u) => u.replace(/\/+$/, ""));

/** An http(s) URL as `httpUrl`, or null when set to `none` or empty: what it points at is then
 *  not there, and the feature that reads it says so instead of failing. */
export const httpUrlOrNone = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((s, ctx) => {
      if (s === "" || s === "none") return null;
      if (z.url({ protocol: /^https?$/ }).safeParse(s).success) return s.replace(/\/+$/, "");
      ctx.issues.push({
        code: "custom",
        input: s,
        message: "must be an http(s) URL, or none (or empty) to turn it off",
      });
      return z.NEVER;
    });

/** The port a service serves its API, health and metrics on. */
export const httpPort = (fallback: number) =>
  port(fallback).describe("HTTP port of the service (`/healthz`, `/readyz`, `/metrics` and its API)");

/** Settings every service process has, Kafka-connected or not. */
export const processEnv = {
  LOG_LEVEL: logLevel().describe("pino log level: fatal, error, warn, info, debug, trace or silent"),
  LOG_FORMAT: z
    .enum(["json", "pretty"], { error: "must be json or pretty" })
    .default("json")
    .describe(
      "json (default): one JSON object a line; pretty: pino-pretty's coloured lines, which `pnpm dev` picks in a terminal",
    ),
  SHUTDOWN_DRAIN_MS: nonNegativeInt(0).describe(
    "after SIGTERM/SIGINT, how long /readyz answers 503 while requests are still served, before the server closes (the images set 5000)",
  ),
  SHUTDOWN_GRACE_MS: positiveInt(10_000).describe(
    "how long a stopping process, once the drain is over, waits for work in hand before it exits",
  ),
};

/** The service's own PostgreSQL database, `database` on the local stack by default. */
export const databaseEnv = (database: string) => ({
  DATABASE_URL: postgresUrl(`postgresql://postgres@127.0.0.1:54329/${database}`).describe(
    "the service's own PostgreSQL database",
  ),
  DATABASE_POOL_SIZE: positiveInt(10).describe(
    "connections in the service's one `pg` pool, shared by Prisma and the hot paths",
  ),
  MIGRATE_DATABASE_URL: optionalPostgresUrl().describe(
    "migrations run with this role when set (schema changes), the service with DATABASE_URL",
  ),
});

/** How a client authenticates to the brokers (services and `pnpm orderflow` alike). */
export const kafkaSecurityEnv = {
  KAFKA_SASL_MECHANISM: z
    .enum(["none", "plain", "scram-sha-256", "scram-sha-512"])
    .default("none")
    .describe("none (default), plain, scram-sha-256 or scram-sha-512 with KAFKA_SASL_USERNAME/PASSWORD"),
  KAFKA_SASL_USERNAME: z.string().min(1).optional().describe("SASL user when KAFKA_SASL_MECHANISM is not none"),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional().describe("SASL password when KAFKA_SASL_MECHANISM is not none"),
  KAFKA_TLS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .describe("TLS to the brokers: true/false; KAFKA_TLS_CA_FILE adds a CA bundle (PEM) to trust"),
  KAFKA_TLS_CA_FILE: z.string().min(1).optional().describe("a CA bundle (PEM) to trust for KAFKA_TLS (a private CA)"),
};

/** Settings every Kafka-connected service has. */
export const serviceEnv = {
  KAFKA_BROKERS: kafkaBrokers().describe("Kafka bootstrap brokers, comma-separated host:port"),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only")
    .default("")
    .describe(
      "prepended to every topic and consumer group on the broker: one broker, several environments (the end-to-end tests run beside `pnpm dev` this way)",
    ),
  ...processEnv,
  TRACES_EXPORTER: z
    .enum(["none", "console", "otlp"])
    .default("none")
    .describe("OpenTelemetry spans: none (default; traceparent still travels), console, or otlp"),
  OTLP_TRACES_URL: z.url().optional().describe("OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces"),
  DEPLOYMENT_ENVIRONMENT: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only")
    .default("local")
    .describe("where the service runs (local, staging, production …): deployment.environment on its spans"),
  ...kafkaSecurityEnv,
};

type KafkaSecurityEnv = z.infer<z.ZodObject<typeof kafkaSecurityEnv>>;

/** The cross-variable rules of the Kafka security settings (pass to parseEnv). */
export function checkKafkaSecurityEnv(env: KafkaSecurityEnv): { variable: string; message: string }[] {
  const out: { variable: string; message: string }[] = [];
  if (env.KAFKA_SASL_MECHANISM !== "none") {
    if (!env.KAFKA_SASL_USERNAME)
      out.push({
        variable: "KAFKA_SASL_USERNAME",
        message: `is required with KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM}`,
      });
    if (!env.KAFKA_SASL_PASSWORD)
      out.push({
        variable: "KAFKA_SASL_PASSWORD",
        message: `is required with KAFKA_SASL_MECHANISM=${env.KAFKA_SASL_MECHANISM}`,
      });
  }
  if (env.KAFKA_TLS_CA_FILE && !env.KAFKA_TLS)
    out.push({ variable: "KAFKA_TLS_CA_FILE", message: "is set but KAFKA_TLS is not true" });
  return out;
}

/** createKafkaClient's `security` from the settings */
export function kafkaSecurity(env: KafkaSecurityEnv) {
  return {
    ...(env.KAFKA_SASL_MECHANISM !== "none" && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? {
          sasl: {
            mechanism: env.KAFKA_SASL_MECHANISM,
            username: env.KAFKA_SASL_USERNAME,
            password: env.KAFKA_SASL_PASSWORD,
          },
        }
      : {}),
    ...(env.KAFKA_TLS ? { tls: env.KAFKA_TLS_CA_FILE ? { caFile: env.KAFKA_TLS_CA_FILE } : true } : {}),
  };
}

/** How a consumer retries a retriable handler failure before dead-lettering the record. */
export const consumerRetryEnv = {
  CONSUMER_MAX_ATTEMPTS: positiveInt(5).describe(
    "attempts of a retriable handler failure before the record is dead-lettered",
  ),
  CONSUMER_RETRY_INITIAL_MS: positiveInt(200).describe("first retry backoff (exponential, full jitter)"),
  CONSUMER_RETRY_MAX_MS: positiveInt(5_000).describe(
    "longest backoff between two attempts, also while waiting out an outage",
  ),
  CONSUMER_RETRY_MAX_TOTAL_MS: positiveInt(30_000).describe(
    "longest time spent retrying one record before it is dead-lettered",
  ),
};

export function retryPolicy(env: {
  CONSUMER_MAX_ATTEMPTS: number;
  CONSUMER_RETRY_INITIAL_MS: number;
  CONSUMER_RETRY_MAX_MS: number;
  CONSUMER_RETRY_MAX_TOTAL_MS: number;
}) {
  return {
    maxAttempts: env.CONSUMER_MAX_ATTEMPTS,
    initialDelayMs: env.CONSUMER_RETRY_INITIAL_MS,
    maxDelayMs: env.CONSUMER_RETRY_MAX_MS,
    maxTotalMs: env.CONSUMER_RETRY_MAX_TOTAL_MS,
  };
}

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: { variable: string; message: string }[],
  ) {
    super(`${service}: invalid configuration\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse the environment against `shape`; `check` adds rules across variables. Messages name the
 *  variable and the rule, never the value (it may be a secret). */
export function parseEnv<S extends z.ZodRawShape>(
  service: string,
  shape: S,
  source: Record<string, string | undefined>,
  check?: (env: z.infer<z.ZodObject<S>>) => { variable: string; message: string }[],
): z.infer<z.ZodObject<S>> {
  const r = z.object(shape).safeParse(source);
  if (!r.success) {
    throw new ConfigError(
      service,
      r.error.issues.map((i) => ({ variable: i.path.join(".") || "(environment)", message: i.message })),
    );
  }
  const problems = check?.(r.data) ?? [];
  if (problems.length) throw new ConfigError(service, problems);
  return r.data;
}

/** For local development only: \`pnpm dev\` services and \`pnpm orderflow token\` share it. With
 *  NODE_ENV=production (the images) it is refused and AUTH_JWT_SECRET or AUTH_JWKS_URL is required. */
export const LOCAL_DEV_JWT_SECRET = "orderflow-local-development-secret-do-not-deploy";

/** The issuer and audience the services expect unless AUTH_ISSUER / AUTH_AUDIENCE say otherwise. */
export const DEFAULT_AUTH_ISSUER = "orderflow-local";
export const DEFAULT_AUTH_AUDIENCE = "orderflow-api";

/** What locally signed tokens (CLI, tests) are signed with: the local development key and the defaults. */
export const LOCAL_DEV_AUTH = {
  secret: LOCAL_DEV_JWT_SECRET,
  issuer: DEFAULT_AUTH_ISSUER,
  audience: DEFAULT_AUTH_AUDIENCE,
} as const;

/** Bearer-token settings of a service with an authenticated API. */
export const authEnv = {
  AUTH_MODE: z
    .enum(["jwt", "off"])
    .default("jwt")
    .describe("jwt (default): every API route needs a signed token; off: a gateway in front does it"),
  AUTH_JWT_ALGORITHM: z
    .enum(["HS256", "RS256", "ES256"])
    .default("HS256")
    .describe('pinned: a token signed with any other algorithm (or alg "none") is refused'),
  AUTH_JWT_SECRET: z
    .string()
    .min(32, "must be at least 32 characters")
    .optional()
    .describe(
      "HS256 key, 32+ characters; unset outside production: the local development key; required with NODE_ENV=production unless AUTH_JWKS_URL is set",
    ),
  AUTH_JWKS_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .optional()
    .describe("an identity provider's JWKS URL, for RS256/ES256 tokens"),
  AUTH_ISSUER: z.string().min(1).default(DEFAULT_AUTH_ISSUER).describe("the `iss` a token must carry"),
  AUTH_AUDIENCE: z.string().min(1).default(DEFAULT_AUTH_AUDIENCE).describe("the `aud` a token must carry"),
  NODE_ENV: z.string().optional().describe("production (set by the images) refuses the local development key"),
};

type AuthEnv = {
  AUTH_MODE: "jwt" | "off";
  AUTH_JWT_ALGORITHM: "HS256" | "RS256" | "ES256";
  AUTH_JWT_SECRET?: string | undefined;
  AUTH_JWKS_URL?: string | undefined;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  NODE_ENV?: string | undefined;
};

/** The cross-variable rules of \`authEnv\` (pass to parseEnv). */
export function checkAuthEnv(env: AuthEnv): { variable: string; message: string }[] {
  if (env.AUTH_MODE === "off") return [];
  if (env.AUTH_JWT_ALGORITHM === "HS256") {
    if (env.AUTH_JWT_SECRET === LOCAL_DEV_JWT_SECRET && env.NODE_ENV === "production")
      return [
        {
          variable: "AUTH_JWT_SECRET",
          message: "is the local development secret; set a secret of your own in production",
        },
      ];
    if (!env.AUTH_JWT_SECRET && env.NODE_ENV === "production")
      return [
        {
          variable: "AUTH_JWT_SECRET",
          message:
            "is required with AUTH_JWT_ALGORITHM=HS256 in production (or set AUTH_JWKS_URL with RS256/ES256, or AUTH_MODE=off)",
        },
      ];
    return [];
  }
  return env.AUTH_JWKS_URL
    ? []
    : [{ variable: "AUTH_JWKS_URL", message: `is required with AUTH_JWT_ALGORITHM=${env.AUTH_JWT_ALGORITHM}` }];
}

/** The settings requireScope() verifies with; outside production HS256 falls back to the local development secret. */
export function authSettings(env: AuthEnv) {
  return {
    mode: env.AUTH_MODE,
    algorithm: env.AUTH_JWT_ALGORITHM,
    ...(env.AUTH_JWT_ALGORITHM === "HS256" ? { secret: env.AUTH_JWT_SECRET ?? LOCAL_DEV_JWT_SECRET } : {}),
    ...(env.AUTH_JWKS_URL ? { jwksUrl: env.AUTH_JWKS_URL } : {}),
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
  };
}

/** What order, payment and shipping share: their own database, an authenticated API, Kafka and
 *  consumer retries. */
export const consumingServiceEnv = (database: string) => ({
  ...databaseEnv(database),
  ...authEnv,
  ...serviceEnv,
  ...consumerRetryEnv,
});

/** The cross-variable rules of a Kafka-connected service with an authenticated API. */
export function checkApiServiceEnv(env: AuthEnv & KafkaSecurityEnv): { variable: string; message: string }[] {
  return [...checkAuthEnv(env), ...checkKafkaSecurityEnv(env)];
}

/** One service's configuration: its schema, the names of its variables (deploy files are checked
 *  against them) and a parse of an environment against both the schema and `check`. The schema
 *  carries each variable's default and description: docs/configuration.md is generated from it. */
export function serviceConfig<S extends z.ZodRawShape>(
  service: string,
  check: ((env: z.infer<z.ZodObject<S>>) => { variable: string; message: string }[]) | undefined,
  shape: S,
) {
  return {
    ENV_SHAPE: shape,
    ENV_KEYS: Object.keys(shape),
    parse: (source: Record<string, string | undefined>) => parseEnv(service, shape, source, check),
  };
}

/** A service that serves an API and consumes into its own database (order, payment, shipping):
 *  its port, the shared consuming-service variables, then its own. */
export function consumingServiceConfig<S extends z.ZodRawShape>(
  service: string,
  port: number,
  database: string,
  own: S,
) {
  // the shared variables are in every such shape; TypeScript cannot see it through the generic S
  const check = (env: object) => checkApiServiceEnv(env as AuthEnv & KafkaSecurityEnv);
  return serviceConfig(service, check, { PORT: httpPort(port), ...consumingServiceEnv(database), ...own });
}
