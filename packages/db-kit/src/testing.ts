// For services' integration tests: a fresh database on a real server, migrated like production.
import type { EventMeta } from "@orderflow/contracts";
import pg from "pg";
import { migrateDeploy } from "./migrate/api.js";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
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
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
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
