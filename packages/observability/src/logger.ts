import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Fields that hold secrets wherever they appear in a log object (two levels deep): their values
 *  are replaced before the line is written. */
const SECRET_KEYS = [
  "authorization",
  "cookie",
  "password",
  "secret",
  "token",
  "accessToken",
  "apiKey",
  "sasl",
  "DATABASE_URL",
  "MIGRATE_DATABASE_URL",
  "RELAY_DATABASES",
  "AUTH_JWT_SECRET",
  "KAFKA_SASL_PASSWORD",
];
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
];

/** JSON to stdout with the service name on every line. Humans can pipe it through pino-pretty. */
export function createLogger(opts: { service: string; level?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      level: opts.level ?? "info",
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
    },
    destination,
  );
}
