// What the consumers of a service that writes to its own database share: keys parked behind a
// dead-lettered record are kept in that database (every member of a group sees them), and its
// outages are waited out instead of dead-lettered. Shape-compatible with @orderflow/kafka's
// SharedConsumerSettings (this package does not import kafkajs); docs/operations.md, "When
// consuming fails", has the operator's side.
import type pg from "pg";
import { databaseErrors } from "./errors.js";
import type { SqlExecutor } from "./outbox.js";
import { listeningKeyParking } from "./parking.js";

export function databaseConsumers(
  db: SqlExecutor & { readonly pool: pg.Pool },
  log: { warn(o: object, msg: string): void; info(o: object, msg: string): void },
) {
  return { parking: (group: string) => listeningKeyParking(db, group, { log }), errors: databaseErrors };
}
