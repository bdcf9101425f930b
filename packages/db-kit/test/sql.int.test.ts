// The hot paths' transactions on the pg pool (sql.ts): commit, rollback, a connection that broke
// mid-transaction, and a pool that stays full.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PoolTimeout, sqlDatabase } from "../src/index.js";
import { admin, databaseUrl, dropDatabase, uniqueName } from "./support.js";

const name = uniqueName("dbkit_sql");
let pool: pg.Pool;

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2, connectionTimeoutMillis: 300 });
  pool.on("error", () => {});
  await pool.query("CREATE TABLE t (id int PRIMARY KEY)");
});

afterAll(async () => {
  await pool?.end();
  await dropDatabase(name);
});

const ids = async () => (await pool.query<{ id: number }>("SELECT id FROM t ORDER BY id")).rows.map((r) => r.id);

describe("sqlDatabase", () => {
  it("commits what the function wrote and returns its result", async () => {
    const db = sqlDatabase(pool);
    const r = await db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("INSERT INTO t VALUES ($1), ($2)", 1, 2);
      return tx.$queryRawUnsafe<{ n: string }[]>("SELECT count(*) AS n FROM t");
    });
    expect(r).toEqual([{ n: "2" }]);
    expect(await ids()).toEqual([1, 2]);
  });

  it("rolls everything back when the function throws, and the connection goes back to the pool usable", async () => {
    const db = sqlDatabase(pool);
    await expect(
      db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO t VALUES (3)");
        await tx.$executeRawUnsafe("INSERT INTO t VALUES (1)"); // duplicate key
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await ids()).toEqual([1, 2]);
    // both pooled connections still work (none was left inside an aborted transaction)
    await Promise.all([
      db.$transaction((tx) => tx.$executeRawUnsafe("INSERT INTO t VALUES (4)")),
      db.$transaction((tx) => tx.$executeRawUnsafe("INSERT INTO t VALUES (5)")),
    ]);
    expect(await ids()).toEqual([1, 2, 4, 5]);
  });

  it("drops a connection the server terminated mid-transaction instead of reusing it", async () => {
    const db = sqlDatabase(pool);
    await expect(
      db.$transaction(async (tx) => {
        const [me] = await tx.$queryRawUnsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid");
        await admin((c) => c.query("SELECT pg_terminate_backend($1)", [me!.pid]));
        await tx.$executeRawUnsafe("INSERT INTO t VALUES (6)");
      }),
    ).rejects.toThrow();
    expect(await db.$transaction((tx) => tx.$queryRawUnsafe<{ one: number }[]>("SELECT 1 AS one"))).toEqual([
      { one: 1 },
    ]);
    expect(await ids()).toEqual([1, 2, 4, 5]);
  });

  it("fails with a retriable PoolTimeout when no connection frees up in time", async () => {
    const db = sqlDatabase(pool);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holders = [0, 1].map(() => db.$transaction(() => held));
    const err = await db.$transaction(async () => undefined).catch((e: unknown) => e);
    release();
    await Promise.all(holders);
    expect(err).toBeInstanceOf(PoolTimeout);
    expect((err as PoolTimeout).retriable).toBe(true); // consumers retry it (errors.ts reads this flag first)
  });
});
