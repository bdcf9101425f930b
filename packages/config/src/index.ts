// Service configuration from environment variables: the field builders every service shares and
// one parse that fails fast, naming each variable and what is wrong with it.
import { z } from "zod";

export const port = (fallback: number) => z.coerce.number({ error: "must be a port number" }).int("must be a port number").min(0).max(65535, "must be a port number (0-65535)").default(fallback);

export const postgresUrl = (fallback: string) =>
  z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).default(fallback);

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
  LOG_LEVEL: logLevel(),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
};

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
