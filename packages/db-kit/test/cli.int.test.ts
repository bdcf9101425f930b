// The `orderflow-migrate` bin as a service's folder runs it: exit codes, output, and that the
// process ends at once although the wasm engine leaves a timer behind.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, dropDatabase, fixtureDir, uniqueName } from "./support.js";

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "orderflow-migrate.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(cwd: string, args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const started = performance.now();
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: childEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const name = uniqueName("dbkit_cli");
const url = databaseUrl(name);
let appDir: string;

beforeAll(async () => {
  await fs.access(path.join(path.dirname(bin), "..", "dist", "migrate", "bin.js")).catch(() => {
    throw new Error("dist/ is missing: run `pnpm --filter @orderflow/db-kit build` before the CLI tests");
  });
  // the bin runs in an app folder holding prisma/schema.prisma and prisma/migrations
  appDir = await fs.mkdtemp(path.join(os.tmpdir(), "dbkit-app-"));
  await fs.cp(fixtureDir, path.join(appDir, "prisma"), { recursive: true });
});

afterAll(async () => {
  await dropDatabase(name);
  if (appDir) await fs.rm(appDir, { recursive: true, force: true });
});

describe("orderflow-migrate", () => {
  it("status lists pending migrations, deploy creates the database and applies them, then there is nothing to apply", async () => {
    const before = await run(appDir, ["status"], { DATABASE_URL: url });
    expect(before.code).toBe(3);
    expect(before.stdout).toMatch(/pending 1 \(20260101000000_init\)/);

    const deploy = await run(appDir, ["deploy"], { DATABASE_URL: url });
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/applied 1 migration\(s\): 20260101000000_init/);
    // the engine's leftover ~10 s timer must not hold the process open
    expect(deploy.ms).toBeLessThan(8_000);

    const again = await run(appDir, ["deploy"], { DATABASE_URL: url });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no pending migrations/);
    expect((await run(appDir, ["status"], { DATABASE_URL: url })).code).toBe(0);
  });

  it("drift exits 2 with the missing SQL when the schema moved ahead of the migrations", async () => {
    expect((await run(appDir, ["drift"], { DATABASE_URL: url })).code).toBe(0);
    const schemaPath = path.join(appDir, "prisma", "schema.prisma");
    const schema = await fs.readFile(schemaPath, "utf8");
    await fs.writeFile(schemaPath, `${schema}\nmodel Gadget {\n  id Int @id\n\n  @@map("gadgets")\n}\n`);
    try {
      const drift = await run(appDir, ["drift"], { DATABASE_URL: url });
      expect(drift.code).toBe(2);
      expect(drift.stdout).toMatch(/CREATE TABLE "gadgets"/);
    } finally {
      await fs.writeFile(schemaPath, schema);
    }
  });

  it("fails readably: no DATABASE_URL, a failing migration, an unknown command", async () => {
    const missing = await run(appDir, ["deploy"], { DATABASE_URL: undefined });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DATABASE_URL is not set/);

    const bad = path.join(appDir, "prisma", "migrations", "20260102000000_bad");
    await fs.mkdir(bad);
    await fs.writeFile(
      path.join(bad, "migration.sql"),
      `CREATE TABLE "half" (id int);\nSELECT * FROM "no_such_table";\n`,
    );
    const failed = await run(appDir, ["deploy"], { DATABASE_URL: url });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/migrate deploy failed: .*\n?[\s\S]*no_such_table/);
    const blocked = await run(appDir, ["deploy"], { DATABASE_URL: url });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/20260102000000_bad/);

    const unknown = await run(appDir, ["frobnicate"], { DATABASE_URL: url });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/usage:/);
  });
});
