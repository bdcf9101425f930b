import { pino, stdSerializers, type Logger } from "pino";

export type { Logger };

/** JSON to stdout with the service name on every line. Humans can pipe it through pino-pretty. */
export function createLogger(opts: { service: string; level?: string }): Logger {
  return pino({
    level: opts.level ?? "info",
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
  });
}
