// For services' integration tests: a fresh database on a real server, migrated like production.
import type { EventMeta } from "@orderflow/contracts";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { migrateDeploy } from "./migrate/api.js";
import { dropDatabaseAndSlots } from "./relay-wal.js";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The local stack's server, where a service's integration tests make their databases. */
export const LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:54329/postgres";

/** A service's `freshDatabase(prefix)`: its migrations (a `file:` URL or a path) applied to a new
 *  database on `adminUrl` (the caller's PG_ADMIN_URL, else the local stack). */
export function migratedDatabases(migrations: URL | string, adminUrl: string = LOCAL_ADMIN_URL) {
  const migrationsDir = typeof migrations === "string" ? migrations : fileURLToPath(migrations);
  return (prefix: string) => freshMigratedDatabase({ adminUrl, prefix, migrationsDir });
}

export async function freshMigratedDatabase(opts: {
  adminUrl: string;
  prefix: string;
  migrationsDir: string;
}): Promise<TestDatabase> {
  const name = `${opts.prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const u = new URL(opts.adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrateDeploy({ url, migrationsDir: opts.migrationsDir }); // creates the database first
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: opts.adminUrl });
      await c.connect();
      try {
        await dropDatabaseAndSlots(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

/** The envelope of an event a test makes as if `source` (by default the order service) had just
 *  emitted it, uncaused; `id` is the caller's (a uuid v7, as in production). */
export function eventMeta(m: { id: string; correlationId: string; source?: string }): EventMeta {
  return {
    id: m.id,
    occurredAt: new Date().toISOString(),
    correlationId: m.correlationId,
    causationId: null,
    source: m.source ?? "order",
  };
}
