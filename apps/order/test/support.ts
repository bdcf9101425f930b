// Integration-test support: a fresh, migrated database of the order service on the local stack.
import { migratedDatabases } from "@orderflow/db-kit";

export const freshDatabase = migratedDatabases(
  new URL("../prisma/migrations/", import.meta.url),
  process.env.PG_ADMIN_URL,
);
