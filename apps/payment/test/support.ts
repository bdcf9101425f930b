// Integration-test support: a fresh, migrated database of the payment service on the local stack.
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { migrateDeploy } from "@orderflow/db-kit";

const adminUrl = process.env.PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:54329/postgres";
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function freshDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrateDeploy({ url, migrationsDir: path.join(appDir, "prisma", "migrations"), schemaPath: path.join(appDir, "prisma", "schema.prisma") });
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
