// Applies a run of consumed events the way every service does, in one transaction: the inbox
// record and a read of the state the run touches in one statement, a pure step per fresh record
// in order (each seeing the state the one before it left), then one write of the changes with the
// outbox rows of the events they emit. A service supplies its step and its SQL (a RunSpec).
import { keyOf, type EventOf, type OrderflowEvent } from "@orderflow/contracts";
import { causeOf, envelope, outboxRowOf, type EventSource, type Outcome } from "./envelope.js";
import { recordInboxRunAndRead, type OutboxInsert, type SqlExecutor } from "./outbox.js";
import type { SqlDatabase } from "./sql.js";
import { query, type Statement } from "./statement.js";

/** A consumed record as the applier needs it (a kafka IncomingEvent is one). */
export interface ConsumedEvent {
  event: OrderflowEvent;
  headers: Readonly<Record<string, string | undefined>>;
}

/** What a step gets besides the state and the record: ids and time as data. */
export interface StepContext {
  /** `outcome` as an event caused by the record (id, time, correlation, causation, source) */
  envelope<O extends Outcome>(outcome: O): EventOf<O["type"]>;
  newId(): string;
  /** the run's time, the same for every record of it */
  now: Date;
}

/** A line to log for a record once its run committed. */
export interface Note {
  msg: string;
  fields?: object;
  level?: "info" | "debug";
}

/** What one record did to its aggregate. */
export interface Stepped<S> {
  /** the state after the record; the same object when it changed nothing; undefined while there is none */
  state: S | undefined;
  /** events made with the context's envelope, to publish through the outbox */
  emitted?: readonly OrderflowEvent[];
  note?: Note;
}

/** What a run changed, for its one write. */
export interface RunChanges<S> {
  /** each aggregate's state as read */
  before: ReadonlyMap<string, S>;
  /** each aggregate's state after the run; an unchanged one is the object read */
  after: ReadonlyMap<string, S>;
  /** the outbox rows of the events the run emitted, in order */
  outbox: OutboxInsert[];
}

/** A service's part of applying a run: its inbox group, its SQL and its pure step. State is kept
 *  per aggregate, keyed as the records are (contracts' keyOf: the order id). */
export interface RunSpec<M extends ConsumedEvent, Row, S> {
  group: string;
  /** the read of these aggregates' state (FOR UPDATE when the write relies on it staying put) */
  read(keys: string[]): Statement;
  /** the read's rows (JSON values beside the inbox record) as states by key */
  load(rows: Row[]): Map<string, S>;
  step(state: S | undefined, msg: M, ctx: StepContext): Stepped<S>;
  /** one statement when anything changed, none otherwise; throwing rolls the run back */
  write(tx: SqlExecutor, changes: RunChanges<S>): Promise<void>;
}

/** What the applier logs to: a pino logger will do. */
export interface RunLog {
  info(o: object, msg: string): void;
  debug(o: object, msg: string): void;
}

export interface Walked<M, S> {
  changes: RunChanges<S>;
  notes: { msg: M; note: Note }[];
}

/** The distinct keys of a run, in the order they first appear. */
export function runKeys(msgs: readonly ConsumedEvent[]): string[] {
  return [...new Set(msgs.map((m) => keyOf(m.event)))];
}

/** The steps of `msgs` in order over `before`: pure, so a service may also walk a run outside its
 *  transaction (to learn what it needs from an external system first). */
export function walkRun<M extends ConsumedEvent, Row, S>(
  spec: RunSpec<M, Row, S>,
  before: ReadonlyMap<string, S>,
  msgs: readonly M[],
  src: EventSource,
): Walked<M, S> {
  const after = new Map(before);
  const outbox: OutboxInsert[] = [];
  const notes: Walked<M, S>["notes"] = [];
  const now = src.clock();
  for (const msg of msgs) {
    const key = keyOf(msg.event);
    const cause = causeOf(msg);
    const r = spec.step(after.get(key), msg, { envelope: (o) => envelope(src, o, cause), newId: src.newId, now });
    if (r.state !== undefined) after.set(key, r.state);
    for (const e of r.emitted ?? []) outbox.push(outboxRowOf(e, cause));
    if (r.note) notes.push({ msg, note: r.note });
  }
  return { changes: { before, after, outbox }, notes };
}

/** The run's state as it is now, read on its own (no inbox record, no lock). */
export async function readRun<M extends ConsumedEvent, Row, S>(
  db: SqlExecutor,
  spec: RunSpec<M, Row, S>,
  msgs: readonly M[],
): Promise<Map<string, S>> {
  return spec.load(await query<Row>(db, spec.read(runKeys(msgs))));
}

/** Applies `msgs` in one transaction: all of them, or none. Records the inbox already had are
 *  logged and skipped; the steps' notes are logged once the run committed. Resolves to what the
 *  run changed, or undefined when every record was a duplicate. */
export async function applyRun<M extends ConsumedEvent, Row, S>(
  db: SqlDatabase,
  spec: RunSpec<M, Row, S>,
  src: EventSource,
  msgs: M[],
  logFor: (msg: M) => RunLog,
): Promise<RunChanges<S> | undefined> {
  const walked = await db.$transaction(async (tx) => {
    // the inbox record and the run's state in one round trip
    const { fresh, rows } = await recordInboxRunAndRead<M, Row>(
      tx,
      spec.group,
      msgs,
      (m) => logFor(m).info({}, "duplicate event ignored"),
      spec.read(runKeys(msgs)),
    );
    if (fresh.length === 0) return undefined;
    const w = walkRun(spec, spec.load(rows), fresh, src);
    await spec.write(tx, w.changes);
    return w;
  });
  for (const { msg, note } of walked?.notes ?? []) logFor(msg)[note.level ?? "info"](note.fields ?? {}, note.msg);
  return walked?.changes;
}

/** The states of a run that differ from what was read: new ones (no state before) and changed ones. */
export function changedStates<S>(c: RunChanges<S>): { created: S[]; changed: { before: S; after: S }[] } {
  const created: S[] = [];
  const changed: { before: S; after: S }[] = [];
  for (const [key, after] of c.after) {
    const before = c.before.get(key);
    if (before === undefined) created.push(after);
    else if (before !== after) changed.push({ before, after });
  }
  return { created, changed };
}
