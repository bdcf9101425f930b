import path from "node:path";

/** The bin's configuration: the database from DATABASE_URL, the schema and migrations from the
 *  current directory (a service's folder). */
export function binOptions(source: Record<string, string | undefined> = process.env, cwd = process.cwd()) {
  const url = source.DATABASE_URL;
  if (!url)
    throw new Error(
      "DATABASE_URL is not set: the database to migrate, e.g. postgresql://postgres@127.0.0.1:54329/orderflow_order",
    );
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("DATABASE_URL must be a postgresql:// URL");
  let database: string;
  try {
    database = new URL(url).pathname.slice(1);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL");
  }
  // deploy creates this database when missing, so an empty name must not reach CREATE DATABASE
  if (!database)
    throw new Error("DATABASE_URL names no database, e.g. postgresql://postgres@127.0.0.1:54329/orderflow_order");
  return {
    url,
    schemaPath: path.resolve(cwd, "prisma", "schema.prisma"),
    migrationsDir: path.resolve(cwd, "prisma", "migrations"),
    debug: Boolean(source.MIGRATE_DEBUG),
  };
}
