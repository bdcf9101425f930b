// Public surface of @orderflow/db-kit.
export { appendOutbox, OUTBOX_NOTIFY_CHANNEL, OUTBOX_NOTIFY_SQL, OUTBOX_TABLE_SQL, outboxInsertSql, outboxRowFor, recordInbox, recordInboxRunAndRead, type InboxRead, type OutboxInsert, type SqlExecutor, writeWithOutbox } from "./outbox.js";
export { ensureDatabase, migrateCreate, migrateDeploy, migrateDrift, migrateStatus, migrationDiff, type MigrateOptions, type MigrationStatus } from "./migrate/api.js";
export { runMigrateCli, runServiceMigrations } from "./migrate/cli.js";
export { createDatabase, PoolTimeout, POOL_WAIT_MS, sqlDatabase, type Database, type SqlDatabase } from "./sql.js";
export { listeningKeyParking, PARKED_KEYS_CHANNEL, sqlKeyParking, type ParkedAtRow } from "./parking.js";
export { freshMigratedDatabase, type TestDatabase } from "./testing.js";
export { pgConfigFromUrl } from "./migrate/engine.js";
export { databaseErrors, isOutage, isRetriable } from "./errors.js";
