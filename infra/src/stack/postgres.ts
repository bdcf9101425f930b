// A private PostgreSQL server for the local stack: its own data directory under the stack
// folder, its own port, TCP only, trust auth for local development.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { SERVICE_DATABASES, type StackEnv } from "../env.js";
import { portOpen, run, tail, waitFor } from "./proc.js";

export interface PgPaths {
  dir: string;
  data: string;
  log: string;
}

export function pgPaths(env: StackEnv): PgPaths {
  const dir = path.join(env.ORDERFLOW_STACK_DIR, "postgres");
  return { dir, data: path.join(dir, "data"), log: path.join(dir, "postgres.log") };
}

function findPgBin(env: StackEnv): string {
  const candidates = env.PG_BIN ? [env.PG_BIN] : [];
  for (const p of env.PATH.split(path.delimiter)) candidates.push(p);
  const debian = "/usr/lib/postgresql";
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(debian, v, "bin"));
  }
  const bin = candidates.find((d) => fs.existsSync(path.join(d, "initdb")) && fs.existsSync(path.join(d, "pg_ctl")));
  if (!bin) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (Debian: apt-get install postgresql) or set PG_BIN to their folder",
    );
  }
  return bin;
}

const isRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root: when we are root, run its tools as an ordinary OS user. */
function asPgUser(env: StackEnv, cmd: string, args: string[]): string {
  if (!isRoot()) return run(cmd, args);
  return run("runuser", ["-u", env.PG_OS_USER, "--", cmd, ...args]);
}

function ensureOsUser(env: StackEnv): void {
  if (!isRoot()) return;
  try {
    run("id", ["-u", env.PG_OS_USER]);
  } catch {
    run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", env.PG_OS_USER]);
  }
}

/** The server process must reach its data directory. A clone under a private folder (mktemp's
 *  0700, say) is not searchable by the postgres user: grant search (x, not read) on the ancestors. */
function ensureReachable(dir: string): void {
  if (!isRoot()) return;
  let p = path.dirname(dir);
  while (p !== path.dirname(p)) {
    const mode = fs.statSync(p).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(p, mode | 0o001);
    p = path.dirname(p);
  }
}

function pgCtl(env: StackEnv, bin: string, args: string[]): string {
  return asPgUser(env, path.join(bin, "pg_ctl"), args);
}

export async function pgUp(env: StackEnv, log: (m: string) => void): Promise<void> {
  const paths = pgPaths(env);
  if (await pgRunning(env)) {
    log(`postgres: already running on ${env.PG_HOST}:${env.PG_PORT}`);
  } else {
    const bin = findPgBin(env);
    fs.mkdirSync(paths.dir, { recursive: true });
    if (isRoot()) {
      ensureOsUser(env);
      ensureReachable(paths.dir);
      run("chown", ["-R", env.PG_OS_USER, paths.dir]);
    }
    if (!fs.existsSync(path.join(paths.data, "PG_VERSION"))) {
      log(`postgres: initdb in ${paths.data}`);
      asPgUser(env, path.join(bin, "initdb"), [
        "-D",
        paths.data,
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-instructions",
      ]);
      fs.appendFileSync(
        path.join(paths.data, "postgresql.conf"),
        [
          "",
          "# orderflow local stack",
          `listen_addresses = '${env.PG_HOST}'`,
          "unix_socket_directories = ''",
          "max_connections = 200",
          "shared_buffers = 128MB",
          "fsync = on",
          "",
        ].join("\n"),
      );
      if (isRoot()) run("chown", ["-R", env.PG_OS_USER, paths.data]);
    }
    log(`postgres: starting on ${env.PG_HOST}:${env.PG_PORT} (${bin})`);
    // commit timestamps: the benchmark measures the relay's commit→ack from them; logical WAL: the
    // relay's wal mode reads the outbox through a replication slot, whose retained WAL is capped
    pgCtl(env, bin, [
      "-D",
      paths.data,
      "-l",
      paths.log,
      "-o",
      `-p ${env.PG_PORT} -c track_commit_timestamp=on -c wal_level=logical -c max_slot_wal_keep_size=${env.PG_MAX_SLOT_WAL_KEEP_SIZE}`,
      "-w",
      "-t",
      "60",
      "start",
    ]);
    await waitFor("postgres", () => pgRunning(env), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n--- ${paths.log} ---\n${tail(paths.log)}`);
    });
  }
  await ensureDatabases(env, log);
}

export function adminUrl(env: StackEnv, database = "postgres"): string {
  return `postgresql://postgres@${env.PG_HOST}:${env.PG_PORT}/${database}`;
}

async function ensureDatabases(env: StackEnv, log: (m: string) => void): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl(env) });
  await c.connect();
  try {
    for (const db of SERVICE_DATABASES) {
      const r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
      if (r.rowCount === 0) {
        await c.query(`CREATE DATABASE "${db}"`);
        log(`postgres: created database ${db}`);
      }
    }
  } finally {
    await c.end();
  }
}

export async function pgRunning(env: StackEnv): Promise<boolean> {
  if (!(await portOpen(env.PG_HOST, env.PG_PORT))) return false;
  const c = new pg.Client({ connectionString: adminUrl(env), connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** `immediate` stops like a crash (no shutdown checkpoint; recovery at the next start): what a
 *  fault test wants, and it cannot be held up by a slow checkpoint on a busy disk. */
export async function pgDown(
  env: StackEnv,
  log: (m: string) => void,
  mode: "fast" | "immediate" = "fast",
): Promise<void> {
  const paths = pgPaths(env);
  if (!fs.existsSync(path.join(paths.data, "postmaster.pid"))) {
    log("postgres: not running");
    return;
  }
  pgCtl(env, findPgBin(env), ["-D", paths.data, "-m", mode, "-w", "-t", "60", "stop"]);
  log("postgres: stopped");
}
