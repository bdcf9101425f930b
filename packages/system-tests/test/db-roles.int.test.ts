// The per-service database roles of infra/compose/postgres-init.sql, on a PostgreSQL of their own:
// migrations run as a service's migration role; at run time a service's role reads and writes its
// own rows only: it cannot change its schema, nor even connect to another service's database.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadStackEnv, pgDown, pgUp } from "@orderflow/infra/stack";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./harness.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-roles-"));
const stack = loadStackEnv({ ...process.env, ORDERFLOW_STACK_DIR: dir, PG_PORT: "31442" });
const url = (role: string, db: string) => `postgresql://${role}:${role}@127.0.0.1:31442/${db}`;
const quiet = () => {};

async function as<T>(role: string, db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url(role, db) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => "allowed",
    (e: Error) => e.message,
  );

beforeAll(async () => {
  if (fs.existsSync(dir)) fs.chmodSync(dir, 0o755);
  await pgUp(stack, quiet);
  // the init script creates the databases itself, owned by the migration roles
  const admin = new pg.Client({ connectionString: url("postgres", "postgres") });
  await admin.connect();
  for (const db of ["orderflow_order", "orderflow_payment", "orderflow_shipping"])
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
  await admin.end();
  const init = spawnSync(
    "psql",
    [
      "-v",
      "ON_ERROR_STOP=1",
      "-q",
      "-d",
      url("postgres", "postgres"),
      "-f",
      path.join(repoRoot, "infra", "compose", "postgres-init.sql"),
    ],
    { encoding: "utf8" },
  );
  if (init.status !== 0) throw new Error(`postgres-init.sql failed: ${init.stderr}`);
  for (const svc of ["order", "payment", "shipping"]) {
    const r = spawnSync("node", [path.join(repoRoot, "apps", svc, "dist", "migrate.js"), "deploy"], {
      env: { ...process.env, DATABASE_URL: url(`${svc}_migrate`, `orderflow_${svc}`) },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`migrating ${svc} as ${svc}_migrate failed:\n${r.stdout}${r.stderr}`);
  }
}, 120_000);

afterAll(async () => {
  await pgDown(stack, quiet);
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("per-service database roles", () => {
  it("lets a service's role read and write its own rows", async () => {
    await as("order_app", "orderflow_order", async (c) => {
      await c.query(
        `INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (gen_random_uuid(), 'a', 'order-events', 'a', 'T', '{}', '{}')`,
      );
      expect((await c.query("SELECT count(*)::int AS n FROM outbox")).rows[0].n).toBe(1);
    });
  });

  it("refuses a service's role another service's database", async () => {
    expect(await refusal(as("order_app", "orderflow_payment", (c) => c.query("SELECT 1")))).toMatch(
      /permission denied for database/,
    );
    expect(await refusal(as("payment_app", "orderflow_shipping", (c) => c.query("SELECT 1")))).toMatch(
      /permission denied for database/,
    );
    expect(await refusal(as("shipping_app", "orderflow_order", (c) => c.query("SELECT 1")))).toMatch(
      /permission denied for database/,
    );
  });

  it("refuses a service's role any change to its own schema", async () => {
    await as("order_app", "orderflow_order", async (c) => {
      expect(await refusal(c.query("CREATE TABLE sneaky (id int)"))).toMatch(/permission denied/);
      expect(await refusal(c.query("ALTER TABLE order_events ADD COLUMN x int"))).toMatch(/must be owner/);
      expect(await refusal(c.query("DROP TABLE outbox"))).toMatch(/must be owner/);
      expect(await refusal(c.query("TRUNCATE order_events"))).toMatch(/permission denied/);
    });
  });

  it("lets the relay mark outbox rows but never write one, nor change the schema", async () => {
    await as("relay_app", "orderflow_order", async (c) => {
      expect((await c.query("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")).rowCount).toBe(1);
      expect(await refusal(c.query("CREATE TABLE sneaky (id int)"))).toMatch(/permission denied/);
      expect(
        await refusal(
          c.query(
            `INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (gen_random_uuid(), 'a', 'order-events', 'a', 'T', '{}', '{}')`,
          ),
        ),
      ).toMatch(/permission denied/);
    });
  });

  it("lets the wal relay read the outbox through a replication slot and delete its rows, and nothing more", async () => {
    await as("relay_replication", "orderflow_order", async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM outbox")).rows[0].n).toBe(1);
      await c.query("SELECT pg_create_logical_replication_slot('roles_check', 'pgoutput', true)");
      expect(await refusal(c.query("UPDATE outbox SET published_at = now()"))).toMatch(/permission denied/);
      expect(
        await refusal(
          c.query(
            `INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (gen_random_uuid(), 'a', 'order-events', 'a', 'T', '{}', '{}')`,
          ),
        ),
      ).toMatch(/permission denied/);
      expect(await refusal(c.query("SELECT * FROM order_events"))).toMatch(/permission denied/);
      expect(await refusal(c.query("CREATE TABLE sneaky (id int)"))).toMatch(/permission denied/);
      expect((await c.query("DELETE FROM outbox")).rowCount).toBe(1);
    });
  });
});
