// Migration entrypoint (`node dist/migrate.js deploy|status|drift|create <name>`): this
// service's DATABASE_URL and prisma/ folder, through the offline migrate tool.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runServiceMigrations } from "@orderflow/db-kit";
import { loadEnv } from "./env.js";

await runServiceMigrations(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."), loadEnv().DATABASE_URL);
