// Service configuration from environment variables: the field builders every service shares and
// one parse that fails fast, naming each variable and what is wrong with it.
import { z } from "zod";

export const port = (fallback: number) => z.coerce.number({ error: "must be a port number" }).int("must be a port number").min(0).max(65535, "must be a port number (0-65535)").default(fallback);

export const postgresUrl = (fallback: string) =>
  z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).default(fallback);

export const optionalPostgresUrl = () => z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).optional();

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

/** Settings every Kafka-connected service has. */
export const serviceEnv = {
  KAFKA_BROKERS: kafkaBrokers(),
  /** prepended to every topic and consumer group on the broker: one broker, several
   *  environments (the end-to-end tests run beside \`pnpm dev\` this way) */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only").default(""),
  LOG_LEVEL: logLevel(),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  /** OpenTelemetry spans: none (default; traceparent still travels), console, or otlp */
  TRACES_EXPORTER: z.enum(["none", "console", "otlp"]).default("none"),
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces */
  OTLP_TRACES_URL: z.url().optional(),
};

/** How a consumer retries a retriable handler failure before dead-lettering the record. */
export const consumerRetryEnv = {
  CONSUMER_MAX_ATTEMPTS: positiveInt(5),
  CONSUMER_RETRY_INITIAL_MS: positiveInt(200),
  CONSUMER_RETRY_MAX_MS: positiveInt(5_000),
  CONSUMER_RETRY_MAX_TOTAL_MS: positiveInt(30_000),
};

export function retryPolicy(env: { CONSUMER_MAX_ATTEMPTS: number; CONSUMER_RETRY_INITIAL_MS: number; CONSUMER_RETRY_MAX_MS: number; CONSUMER_RETRY_MAX_TOTAL_MS: number }) {
  return { maxAttempts: env.CONSUMER_MAX_ATTEMPTS, initialDelayMs: env.CONSUMER_RETRY_INITIAL_MS, maxDelayMs: env.CONSUMER_RETRY_MAX_MS, maxTotalMs: env.CONSUMER_RETRY_MAX_TOTAL_MS };
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

export function parseEnv<S extends z.ZodRawShape>(service: string, shape: S, source: Record<string, string | undefined>): z.infer<z.ZodObject<S>> {
  const r = z.object(shape).safeParse(source);
  if (!r.success) {
    throw new ConfigError(
      service,
      r.error.issues.map((i) => ({ variable: i.path.join(".") || "(environment)", message: i.message })),
    );
  }
  return r.data;
}
