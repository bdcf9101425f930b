// Migration entrypoint of this service (`node dist/migrate.js deploy|status|drift|create <name>`):
// the service's own DATABASE_URL and prisma/ folder, driven through the offline migrate tool.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runMigrateCli } from "@orderflow/db-kit";
import { loadEnv } from "./env.js";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const code = await runMigrateCli(process.argv.slice(2), {
  url: loadEnv().DATABASE_URL,
  schemaPath: path.join(appDir, "prisma", "schema.prisma"),
  migrationsDir: path.join(appDir, "prisma", "migrations"),
});
process.exit(code); // the wasm engine leaves a timer behind
