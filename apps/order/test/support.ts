// Integration-test support: a fresh, migrated database of the order service on the local stack.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freshMigratedDatabase } from "@orderflow/db-kit";

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "prisma", "migrations");

export function freshDatabase(prefix: string) {
  return freshMigratedDatabase({
    adminUrl: process.env.PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:54329/postgres",
    prefix,
    migrationsDir,
  });
}
