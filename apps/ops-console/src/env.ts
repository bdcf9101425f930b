// The ops console's configuration, parsed once at start-up; a bad value stops the process with a
// message naming the variable and what is wrong with it.
import { authEnv, checkAuthEnv, checkKafkaSecurityEnv, parseEnv, port, positiveInt, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const httpUrl = (fallback: string) => z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default(fallback).transform((u) => u.replace(/\/+$/, ""));

const shape = {
  PORT: port(3005).describe("HTTP port of the service (`/healthz`, `/readyz`, `/metrics` and its API)"),
  ORDER_URL: httpUrl("http://127.0.0.1:3001").describe("the order service: order search and timelines come from its read model"),
  RELAY_URL: httpUrl("http://127.0.0.1:3004").describe("the outbox relay: outbox backlog, oldest pending age and throughput per database"),
  OPS_HEALTH_CACHE_MS: positiveInt(1000).describe("how long one flow-health snapshot is reused (many open pages, one set of broker questions)"),
  OPS_MAX_REDRIVES: positiveInt(3).describe("at most this many redrives of one dead letter (a loop guard, as `pnpm orderflow dlt redrive`)"),
  OPS_IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(24).describe("how long an action's answer is replayed for a retry with the same Idempotency-Key"),
  ...authEnv,
  ...serviceEnv,
};

export type ConsoleEnv = ReturnType<typeof loadEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv("ops-console", shape, source, (env) => [...checkAuthEnv(env), ...checkKafkaSecurityEnv(env)]);
}

/** Every variable this service reads (deploy files are checked against it). */
export const ENV_KEYS = Object.keys(shape);

/** The schema of every variable, with its default and description (docs/configuration.md is generated from it). */
export const ENV_SHAPE = shape;
