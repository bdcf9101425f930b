// Prisma's schema engine compiled to WebAssembly, driven through @prisma/adapter-pg: migrations
// without the native engine binary (which cannot be downloaded on every machine). Mirrors how
// @prisma/migrate wires SchemaEngineWasm. Each patch below was seen failing without it.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SchemaEngine, MigrationList, SchemaFilter } from "@prisma/schema-engine-wasm";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { randomUUID } from "node:crypto";

let SchemaEngineCtor: typeof SchemaEngine | undefined;

/** wasm-bindgen's JS glue: it is handed the instance's exports and exposes the engine class */
interface WasmGlue {
  __wbg_set_wasm(exports: unknown): void;
  SchemaEngine: typeof SchemaEngine;
}

async function loadWasm(): Promise<typeof SchemaEngine> {
  if (SchemaEngineCtor) return SchemaEngineCtor;
  // package "exports" only exposes the JS glue, so locate the .wasm next to it
  const pkg = "@prisma/schema-engine-wasm";
  const runtime = (await import(`${pkg}/schema_engine_bg`)) as WasmGlue;
  const glue = fileURLToPath(import.meta.resolve(`${pkg}/schema_engine_bg`));
  const bytes = await fs.readFile(path.join(path.dirname(glue), "schema_engine_bg.wasm"));
  // the WebAssembly global is not in the ES lib typings this package compiles against
  const Wasm = (
    globalThis as unknown as {
      WebAssembly: {
        Instance: new (m: unknown, i: unknown) => { exports: unknown };
        Module: new (b: Buffer) => unknown;
      };
    }
  ).WebAssembly;
  const instance = new Wasm.Instance(new Wasm.Module(bytes), {
    "./schema_engine_bg.js": runtime,
  });
  runtime.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
  SchemaEngineCtor = runtime.SchemaEngine;
  return SchemaEngineCtor;
}

/** Split a URL into discrete fields: PrismaPg.connectToShadowDb() does
 *  new Pool({...config, database: shadow}); with {connectionString} the URL's
 *  database would win inside `pg`, so never pass a connectionString here. */
export function pgConfigFromUrl(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
  };
}

type PgConfig = ReturnType<typeof pgConfigFromUrl>;

/** adapter-pg's members that patchAdapter replaces or calls; performIO is private and onError
 *  protected in its typings */
interface AdapterInternals {
  performIO(q: unknown): Promise<{ fields?: { dataTypeID: number }[] } | undefined>;
  executeScript(script: string): Promise<void>;
  underlyingDriver(): pg.Pool;
  onError(error: unknown): never;
}

/** The engine's schema describer selects pg_constraint.contype, whose type is the 1-byte
 *  "char" (OID 18); adapter-pg 7.10.1 has no mapping for it and fails with
 *  "Column type 'char' could not be deserialized from the database". Report it as text. */
function patchAdapter<T extends object>(adapter: T): T {
  const a = adapter as unknown as AdapterInternals;
  const io = a.performIO.bind(a);
  a.performIO = async (q: unknown) => {
    const r = await io(q);
    for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
    return r;
  };
  // Stock executeScript() does script.split(";") and runs each piece on the pool separately:
  // breaks $$-quoted function bodies / DO blocks / ';' in strings, and a failing migration
  // leaves earlier statements applied. Send the script whole (simple-query protocol, one
  // implicit transaction), as the native engine does.
  a.executeScript = async (script: string) => {
    try {
      await a.underlyingDriver().query(script);
    } catch (e) {
      a.onError(e);
    }
  };
  return adapter;
}

/** PrismaPg with (a) tracked connections: connect() makes a new pg.Pool per call and
 *  engine.free() disposes none of them; (b) a working shadow DB: stock connectToShadowDb()
 *  runs DROP DATABASE before ending its own pool -> "database ... is being accessed by other
 *  users" and the shadow DB is left behind. */
class MigratePg extends PrismaPg {
  private opened: { dispose(): Promise<void> }[] = [];
  constructor(private readonly cfg: PgConfig) {
    super(cfg);
  }
  override async connect() {
    const a = patchAdapter(await super.connect());
    this.opened.push(a);
    return a;
  }
  private async admin(sql: string) {
    const c = new pg.Client(this.cfg);
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  }
  override async connectToShadowDb() {
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await this.admin(`CREATE DATABASE "${name}"`);
    const shadow = patchAdapter(await new PrismaPg({ ...this.cfg, database: name }).connect());
    const disposePool = shadow.dispose.bind(shadow);
    let done = false;
    const drop = async () => {
      if (done) return;
      done = true;
      await disposePool().catch(() => {});
      await this.admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`); // PG >= 13
    };
    shadow.dispose = drop;
    this.opened.push({ dispose: drop }); // also dropped on close() if the engine errored first
    return shadow;
  }
  async disposeAll() {
    await Promise.allSettled(this.opened.splice(0).map((a) => a.dispose()));
  }
}

export const noFilter: SchemaFilter = { externalTables: [], externalEnums: [] };

export async function openEngine(opts: { url: string; schemaPath?: string; debug?: boolean }) {
  const Engine = await loadWasm();
  const factory = new MigratePg(pgConfigFromUrl(opts.url));
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const datamodels: [string, string][] | undefined = opts.schemaPath
    ? [[opts.schemaPath, await fs.readFile(opts.schemaPath, "utf8")]]
    : undefined;
  const log = (msg: string) => {
    if (opts.debug) process.stderr.write(`[schema-engine] ${msg}\n`);
  };
  const engine = await Engine.new({ datamodels }, log, adapter);
  // engine.free() does not close the pg pool; end it or node waits for idleTimeoutMillis
  const close = async () => {
    engine.free();
    await factory.disposeAll();
  };
  // driver errors surface as "External error id#N"; resolve them from the registry
  const explain = (e: unknown) => {
    const m = /External error id#(\d+)/.exec(String((e as Error)?.message ?? e));
    return m ? adapter.errorRegistry.consumeError(Number(m[1]))?.error : undefined;
  };
  return Object.assign(engine, { close, explain });
}

/** Same shape as @prisma/migrate's listMigrations(). */
export async function listMigrations(dir: string, shadowDbInitScript = ""): Promise<MigrationList> {
  const lockContent = await fs.readFile(path.join(dir, "migration_lock.toml"), "utf8").catch(() => null);
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = [];
  for (const e of entries.filter((e) => e.isDirectory())) {
    const content = await fs
      .readFile(path.join(dir, e.name, "migration.sql"), "utf8")
      .then((value) => ({ tag: "ok" as const, value }))
      .catch((err: Error) => ({ tag: "error" as const, value: err.message }));
    migrationDirectories.push({ path: e.name, migrationFile: { path: "migration.sql", content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: lockContent },
    migrationDirectories,
    shadowDbInitScript,
  };
}
