// The offline migrate tool on a real PostgreSQL server: what `prisma migrate deploy` would do.
import fs from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import {
  migrateCreate,
  migrateDeploy,
  migrateDrift,
  migrateStatus,
  OUTBOX_NOTIFY_SQL,
  OUTBOX_TABLE_SQL,
} from "../src/index.js";
import { admin, copyFixture, databaseUrl, dropDatabase, fixtureDir, uniqueName } from "./support.js";

const created: string[] = [];
function newDatabase() {
  const name = uniqueName("dbkit_migrate");
  created.push(name);
  return { name, url: databaseUrl(name) };
}

afterAll(async () => {
  for (const n of created) await dropDatabase(n);
});

describe("migrate", () => {
  it("deploy creates the database, applies the migrations once and records them as prisma does", async () => {
    const dir = await copyFixture();
    const db = newDatabase();
    const opts = {
      url: db.url,
      migrationsDir: path.join(dir, "migrations"),
      schemaPath: path.join(dir, "schema.prisma"),
    };
    expect(await migrateDeploy(opts)).toEqual({ applied: ["20260101000000_init"] });
    expect(await migrateDeploy(opts)).toEqual({ applied: [] });
    expect(await migrateStatus(opts)).toEqual({ applied: ["20260101000000_init"], pending: [], failed: [] });
    const rows = await admin(
      (c) => c.query("SELECT migration_name, checksum, finished_at FROM _prisma_migrations"),
      db.url,
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    // the $$-quoted trigger function arrived whole
    const trig = await admin((c) => c.query("SELECT tgname FROM pg_trigger WHERE tgname = 'outbox_notify'"), db.url);
    expect(trig.rowCount).toBe(1);
  });

  it("a failing migration leaves nothing half-applied and blocks later deploys", async () => {
    const dir = await copyFixture();
    const db = newDatabase();
    const opts = {
      url: db.url,
      migrationsDir: path.join(dir, "migrations"),
      schemaPath: path.join(dir, "schema.prisma"),
    };
    await migrateDeploy(opts);
    const bad = path.join(dir, "migrations", "20260102000000_bad");
    await fs.mkdir(bad);
    await fs.writeFile(
      path.join(bad, "migration.sql"),
      `CREATE TABLE "half" (id int);\nSELECT * FROM "no_such_table";\n`,
    );
    await expect(migrateDeploy(opts)).rejects.toThrow(/no_such_table/);
    const half = await admin((c) => c.query(`SELECT to_regclass('half') IS NOT NULL AS exists`), db.url);
    expect(half.rows[0].exists).toBe(false);
    expect((await migrateStatus(opts)).failed).toEqual(["20260102000000_bad"]);
    await expect(migrateDeploy(opts)).rejects.toThrow(/20260102000000_bad/);
  });

  it("drift sees a schema change the migrations lack; create writes the migration that closes it", async () => {
    const dir = await copyFixture();
    const db = newDatabase();
    const opts = {
      url: db.url,
      migrationsDir: path.join(dir, "migrations"),
      schemaPath: path.join(dir, "schema.prisma"),
    };
    expect((await migrateDrift(opts)).drift).toBe(false);
    const schema = await fs.readFile(opts.schemaPath, "utf8");
    await fs.writeFile(opts.schemaPath, `${schema}\nmodel Gadget {\n  id Int @id\n\n  @@map("gadgets")\n}\n`);
    const drift = await migrateDrift(opts);
    expect(drift.drift).toBe(true);
    expect(drift.sql).toMatch(/CREATE TABLE "gadgets"/);

    const r = await migrateCreate({ ...opts, name: "add gadgets", now: new Date("2026-02-03T04:05:06Z") });
    expect(r.created).toBe("20260203040506_add_gadgets");
    expect(await fs.readFile(path.join(opts.migrationsDir, r.created!, "migration.sql"), "utf8")).toMatch(
      /CREATE TABLE "gadgets"/,
    );
    expect((await migrateDrift(opts)).drift).toBe(false);
    expect((await migrateStatus(opts)).pending).toEqual(["20260101000000_init", "20260203040506_add_gadgets"]);
    expect((await migrateDeploy(opts)).applied).toEqual(["20260101000000_init", "20260203040506_add_gadgets"]);
  });

  it("OUTBOX_TABLE_SQL with OUTBOX_NOTIFY_SQL is exactly what the shared Prisma models describe", async () => {
    const schema = await fs.readFile(path.join(fixtureDir, "schema.prisma"), "utf8");
    // only the two shared models, as in the spec
    const shared = ["OutboxMessage", "InboxMessage"].map((m) => new RegExp(`model ${m} \\{[^}]*\\}`).exec(schema)![0]);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "dbkit-ddl-"));
    await fs.writeFile(
      path.join(dir, "schema.prisma"),
      `datasource db {\n  provider = "postgresql"\n}\n\n${shared.join("\n\n")}\n`,
    );
    await fs.mkdir(path.join(dir, "migrations", "20260101000000_init"), { recursive: true });
    await fs.writeFile(path.join(dir, "migrations", "migration_lock.toml"), `provider = "postgresql"\n`);
    await fs.writeFile(
      path.join(dir, "migrations", "20260101000000_init", "migration.sql"),
      OUTBOX_TABLE_SQL + OUTBOX_NOTIFY_SQL,
    );
    const db = newDatabase();
    const opts = {
      url: db.url,
      migrationsDir: path.join(dir, "migrations"),
      schemaPath: path.join(dir, "schema.prisma"),
    };
    expect(await migrateDrift(opts)).toEqual({ drift: false, sql: "" });
    expect(await migrateDeploy(opts)).toEqual({ applied: ["20260101000000_init"] });
    const fn = await admin(
      (c) => c.query(`SELECT prosrc FROM pg_proc WHERE proname = 'orderflow_outbox_notify'`),
      db.url,
    );
    expect(fn.rows[0].prosrc).toMatch(/pg_notify\('orderflow_outbox', ''\)/);
  });
});
