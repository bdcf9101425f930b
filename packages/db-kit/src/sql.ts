// A service's database handle: one pg pool shared by Prisma (through @prisma/adapter-pg) and by
// the hot paths' transactions, which run their parameterised SQL on the pool directly.
//
// Why: a consumer's transaction of three raw statements cost ~1.3–1.7 ms of CPU through Prisma's
// interactive-transaction machinery and ~0.3–0.45 ms on the same pg pool (docs/performance.md);
// with runs of one record at low load the order service was CPU-bound at 30 orders/s on that
// overhead alone. Prisma keeps the schema, the migrations, the generated types and the typed reads.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { SqlExecutor } from "./outbox.js";

/** Parameterised SQL on the pool: `$transaction` runs `fn` in BEGIN … COMMIT on one connection
 *  (ROLLBACK when it throws); the executor methods outside it run as single statements. */
export interface SqlDatabase extends SqlExecutor {
  $transaction<T>(fn: (tx: SqlExecutor) => PromiseLike<T>): Promise<T>;
}

export interface Database<P> extends SqlDatabase {
  /** the Prisma client on the same pool: typed reads, tests, anything off the hot path */
  readonly prisma: P;
  readonly pool: pg.Pool;
  $disconnect(): Promise<void>;
}

/** How long a transaction waits for a pooled connection before failing (retriable). */
export const POOL_WAIT_MS = 10_000;

/** pg answers a pool that stayed full with a plain Error; it is worth another try (as Prisma's P2024). */
export class PoolTimeout extends Error {
  readonly retriable = true as const;
  readonly code = "POOL_TIMEOUT";
  constructor(options?: { cause?: unknown }) {
    super(`no database connection free within ${POOL_WAIT_MS} ms`, options);
    this.name = "PoolTimeout";
  }
}

function executor(q: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    $queryRawUnsafe: async <T>(text: string, ...values: unknown[]) => (await q.query(text, values)).rows as T,
    $executeRawUnsafe: async (text: string, ...values: unknown[]) => (await q.query(text, values)).rowCount ?? 0,
  };
}

export function sqlDatabase(pool: pg.Pool): SqlDatabase {
  return {
    ...executor(pool),
    async $transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        // pg's own wording for a pool that stayed full past connectionTimeoutMillis
        if (e instanceof Error && /timeout exceeded when trying to connect/i.test(e.message))
          throw new PoolTimeout({ cause: e });
        throw e;
      }
      let broken: Error | undefined;
      // a checked-out connection the server drops emits "error" besides failing the query in hand:
      // without a listener that would be an uncaught exception
      const onError = (e: Error) => void (broken = e);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn(executor(client));
        await client.query("COMMIT");
        return result;
      } catch (e) {
        // a connection that cannot even roll back is dropped from the pool, not reused
        await client
          .query("ROLLBACK")
          .catch((r: unknown) => void (broken = r instanceof Error ? r : new Error(String(r))));
        throw e;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
  };
}

/** The pool (max `poolSize` connections), the raw-SQL handle on it, and the Prisma client made by
 *  `makePrisma` on the same pool. `$disconnect` closes both. */
export function createDatabase<P extends { $disconnect(): Promise<void> }>(
  url: string,
  poolSize: number,
  makePrisma: (adapter: PrismaPg) => P,
): Database<P> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: POOL_WAIT_MS });
  // an idle connection the server dropped (a restart): the next query reports it where it is handled
  pool.on("error", () => {});
  const prisma = makePrisma(new PrismaPg(pool));
  let ended = false;
  return {
    ...sqlDatabase(pool),
    prisma,
    pool,
    async $disconnect() {
      if (ended) return;
      ended = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
