// The relay's configuration, parsed once at start-up; a bad value stops the process with a
// message naming the variable and what is wrong with it.
import { checkKafkaSecurityEnv, httpPort, positiveInt, serviceConfig, serviceEnv } from "@orderflow/config";
import { z } from "zod";

const DEFAULT_DATABASES = ["order", "payment", "shipping"]
  .map((s) => `${s}=postgresql://postgres@127.0.0.1:54329/orderflow_${s}`)
  .join(",");

/** `name=postgresql://…` pairs, comma-separated: the service databases whose outbox to publish. */
export const RelayDatabases = z
  .string()
  .default(DEFAULT_DATABASES)
  .transform((s, ctx) => {
    const out: { name: string; url: string }[] = [];
    for (const part of s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const m = /^([A-Za-z0-9_-]+)=(postgres(?:ql)?:\/\/\S+)$/.exec(part);
      if (!m) {
        ctx.addIssue({ code: "custom", message: `"${part.replace(/:[^:@/]*@/, ":***@")}" is not name=postgresql://…` });
        return z.NEVER;
      }
      out.push({ name: m[1]!, url: m[2]! });
    }
    if (out.length === 0) ctx.addIssue({ code: "custom", message: "at least one name=postgresql://… entry" });
    if (new Set(out.map((d) => d.name)).size !== out.length)
      ctx.addIssue({ code: "custom", message: "database names must be unique" });
    return out;
  });

const config = serviceConfig("outbox-relay", checkKafkaSecurityEnv, {
  PORT: httpPort(3004),
  RELAY_DATABASES: RelayDatabases.describe(
    "name=postgresql://… pairs, comma-separated: the service databases whose outbox the relay publishes",
  ),
  RELAY_BATCH_SIZE: positiveInt(500).describe("outbox rows read and published per batch"),
  RELAY_POLL_INTERVAL_MS: positiveInt(1000).describe(
    "how often the relay looks for rows when no NOTIFY woke it (wal mode: how often a standby tries to lead)",
  ),
  RELAY_RETENTION_MS: positiveInt(60 * 60 * 1000).describe(
    "poll mode: published rows are kept this long (for inspection), then deleted; wal mode deletes rows once its slot confirmed them",
  ),
  RELAY_CLEANUP_INTERVAL_MS: positiveInt(60 * 1000).describe(
    "poll mode: how often published rows past RELAY_RETENTION_MS are deleted",
  ),
  RELAY_MODE: z
    .enum(["poll", "wal"])
    .default("wal")
    .describe(
      "wal: read the outbox's inserts from each database's logical replication slot (PostgreSQL with wal_level=logical, docs/relay.md); poll: select pending outbox rows and mark them published",
    ),
  RELAY_SLOT_PREFIX: z
    .string()
    .regex(/^[a-z0-9_]{1,40}$/, "lower-case letters, digits and underscores, at most 40")
    .default("orderflow_relay")
    .describe("wal mode: each database's replication slot is <prefix>_<database name>"),
  RELAY_FAILPOINT: z
    .enum(["crash-after-publish"])
    .optional()
    .describe(
      "fault injection for tests: exit(86) after a batch is acknowledged, before it is marked (poll) or confirmed (wal)",
    ),
  ...serviceEnv,
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
