// Parameterised statements built from parts. A part is written with the `sql` tag; whatever it
// interpolates becomes a placeholder, and the placeholders are numbered only when the whole
// statement is put together, so no module counts the parameters of another's part.
import type pg from "pg";
import sqlTemplateTag, { empty, join, raw, type Sql } from "sql-template-tag";
import type { SqlExecutor } from "./outbox.js";

/** A statement or a part of one: `text` with $1…$n and its `values`. Interpolating a Statement
 *  nests it (its placeholders are renumbered where it lands); anything else is one parameter. */
export type Statement = Sql;

/** The tag: sql`SELECT … WHERE id = ${id}`. */
export const sql: (strings: readonly string[], ...values: readonly unknown[]) => Statement = sqlTemplateTag;

export { empty, raw };

/** The parts joined by `separator` (", " by default); `empty` when there are none. */
export function joinSql(parts: readonly Statement[], separator = ", "): Statement {
  return parts.length === 0 ? empty : join(parts, separator);
}

/** Rows of a query. */
export function query<T>(db: SqlExecutor, s: Statement): PromiseLike<T[]> {
  return db.$queryRawUnsafe<T[]>(s.text, ...s.values);
}

/** How many rows a statement touched. */
export function execute(db: SqlExecutor, s: Statement): PromiseLike<number> {
  return db.$executeRawUnsafe(s.text, ...s.values);
}

/** A cheap round trip: the database answers (through a service's handle, or a pg pool or client). */
export async function ping(db: SqlExecutor | pg.Pool | pg.ClientBase): Promise<void> {
  if ("$queryRawUnsafe" in db) await query(db, sql`SELECT 1`);
  else await db.query("SELECT 1");
}
