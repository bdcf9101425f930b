// `deploy | create <name> | drift | status` for one service database. Returns the exit code:
// 0 ok, 1 failure, 2 drift (drift), 3 pending or failed migrations (status).
import path from "node:path";
import { migrateCreate, migrateDeploy, migrateDrift, migrateStatus, type MigrateOptions } from "./api.js";

const USAGE = "usage: migrate deploy | create <name> | drift | status";

export async function runMigrateCli(
  args: string[],
  opts: MigrateOptions,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  const [cmd, name] = args;
  const started = performance.now();
  try {
    switch (cmd) {
      case "deploy": {
        const r = await migrateDeploy(opts);
        out(
          r.applied.length
            ? `applied ${r.applied.length} migration(s): ${r.applied.join(", ")}`
            : "no pending migrations",
        );
        break;
      }
      case "create": {
        if (!name) throw new Error(`a migration name is needed\n${USAGE}`);
        const r = await migrateCreate({ ...opts, name });
        out(r.created ? `created ${r.created}` : "the schema matches the migrations: nothing to create");
        break;
      }
      case "drift": {
        const r = await migrateDrift(opts);
        if (!r.drift) {
          out("no drift: the migrations build the schema");
          break;
        }
        out(`drift: the schema needs changes the migrations lack:\n${r.sql}`);
        return 2;
      }
      case "status": {
        const r = await migrateStatus(opts);
        out(
          `applied ${r.applied.length}, pending ${r.pending.length}${r.pending.length ? ` (${r.pending.join(", ")})` : ""}, failed ${r.failed.length}${r.failed.length ? ` (${r.failed.join(", ")})` : ""}`,
        );
        if (r.pending.length || r.failed.length) return 3;
        break;
      }
      default:
        err(USAGE);
        return 1;
    }
    return 0;
  } catch (e) {
    err(`migrate ${cmd} failed: ${(e as Error).message}`);
    return 1;
  } finally {
    if (opts.debug) err(`migrate ${cmd}: ${(performance.now() - started).toFixed(0)} ms`);
  }
}

/** A service's `dist/migrate.js`: its own prisma/ folder and database, then exit (the wasm
 *  engine leaves a timer behind that would keep the process alive). */
export async function runServiceMigrations(appDir: string, url: string, args = process.argv.slice(2)): Promise<never> {
  const code = await runMigrateCli(args, {
    url,
    schemaPath: path.join(appDir, "prisma", "schema.prisma"),
    migrationsDir: path.join(appDir, "prisma", "migrations"),
  });
  process.exit(code);
}
