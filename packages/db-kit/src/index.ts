// Public surface of @orderflow/db-kit.
export {
  appendOutbox,
  OUTBOX_NOTIFY_CHANNEL,
  OUTBOX_NOTIFY_SQL,
  OUTBOX_TABLE_SQL,
  outboxInsertSql,
  outboxRowFor,
  recordInbox,
  recordInboxRunAndRead,
  type OutboxInsert,
  type SqlExecutor,
  writeWithOutbox,
} from "./outbox.js";
export { empty, execute, joinSql, ping, query, raw, sql, type Statement } from "./statement.js";
export {
  causeOf,
  emit,
  envelope,
  outboxRowOf,
  type Cause,
  type Emitted,
  type EventSource,
  type Outcome,
} from "./envelope.js";
export {
  applyRun,
  changedStates,
  readRun,
  runKeys,
  walkRun,
  type ConsumedEvent,
  type Note,
  type RunChanges,
  type RunLog,
  type RunSpec,
  type StepContext,
  type Stepped,
  type Walked,
} from "./run.js";
export {
  ensureDatabase,
  migrateCreate,
  migrateDeploy,
  migrateDrift,
  migrateStatus,
  migrationDiff,
  type MigrateOptions,
  type MigrationStatus,
} from "./migrate/api.js";
export { runMigrateCli, runServiceMigrations } from "./migrate/cli.js";
export { createDatabase, PoolTimeout, POOL_WAIT_MS, sqlDatabase, type Database, type SqlDatabase } from "./sql.js";
export {
  deletePublishedOutbox,
  listenForOutbox,
  markOutboxPublished,
  outboxBacklog,
  pendingOutboxRows,
  tryLeadOutbox,
  type PendingOutboxRow,
} from "./relay.js";
export {
  copySlot,
  createTemporarySlot,
  deleteOutboxRows,
  dropDatabaseAndSlots,
  dropSlot,
  OUTBOX_PUBLICATION,
  OUTBOX_PUBLICATION_SQL,
  outboxIdsBefore,
  RELAY_REPLICATION_ROLE,
  replicationSlot,
  type SlotState,
} from "./relay-wal.js";
export {
  listeningKeyParking,
  PARKED_KEYS_CHANNEL,
  sqlKeyParking,
  type ListeningParking,
  type ParkedAtRow,
} from "./parking.js";
export { eventMeta, freshMigratedDatabase, LOCAL_ADMIN_URL, migratedDatabases, type TestDatabase } from "./testing.js";
export { pgConfigFromUrl } from "./migrate/engine.js";
export { databaseErrors, isOutage, isRetriable } from "./errors.js";
export { databaseConsumers } from "./consumers.js";
