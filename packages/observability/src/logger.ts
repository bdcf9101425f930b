import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

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

/** How lines are written: JSON (containers, tests, anything that reads them) or pino-pretty's
 *  coloured text for a person at a terminal (`pnpm dev`). */
export type LogFormat = "json" | "pretty";

/** JSON to stdout with the service name on every line, or the same lines made readable with
 *  `format: "pretty"`. */
export function createLogger(
  opts: { service: string; level?: string; format?: LogFormat },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      level: opts.level ?? "info",
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
    },
    opts.format === "pretty" ? prettyStream(destination) : destination,
  );
}

/** pino-pretty in the process, synchronous, so a line is on the terminal before a crash or an
 *  exit (a transport's worker thread could lose the last lines); colours on, as only a terminal
 *  asks for this format. */
function prettyStream(destination?: DestinationStream): DestinationStream {
  return pretty({
    colorize: true,
    sync: true,
    translateTime: "SYS:HH:MM:ss.l",
    messageFormat: "{service}: {msg}",
    ignore: "service",
    ...(destination ? { destination } : {}),
  });
}
