// Migration entrypoint (`node dist/migrate.js deploy|status|drift|create <name>`): this
// service's DATABASE_URL and prisma/ folder, through the offline migrate tool.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runServiceMigrations } from "@orderflow/db-kit";
import { loadEnv } from "./env.js";

const env = loadEnv();
await runServiceMigrations(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."),
  env.MIGRATE_DATABASE_URL ?? env.DATABASE_URL,
);
