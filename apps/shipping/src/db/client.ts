// The service's database: one pg pool, the hot paths' transactions as parameterised SQL on it
// (db-kit's createDatabase says why) and the Prisma client on the same pool for typed reads.
import { createDatabase, type Database, type SqlExecutor } from "@orderflow/db-kit";
import { PrismaClient } from "../generated/prisma/client.js";

export type Db = Database<PrismaClient>;
export type Tx = SqlExecutor;

export function createDb(url: string, poolSize: number): Db {
  return createDatabase(url, poolSize, (adapter) => new PrismaClient({ adapter }));
}
