// Runs: consecutive well-formed records of one partition go to the handler in one call, and the
// runs of partitions that are ready at the same moment share one call (group commit,
// @orderflow/batching). A run that fails for anything but an outage is handed back for the
// record path, record by record.
import { groupCommit } from "@orderflow/batching";
import { decodeEvent, HEADERS, type TopicName } from "@orderflow/contracts";
import type { KafkaMessage } from "kafkajs";
import type { Logger } from "pino";
import { errorClass, errorMessage } from "../errors.js";
import type { ParkedAt } from "../parking.js";
import { headersToStrings } from "../records.js";
import type { BatchIo } from "./io.js";
import { waitOutOutage, type RetryDeps } from "./retries.js";
import type { IncomingEvent, RunContext } from "./types.js";

type Run = { events: IncomingEvent[]; ctx: RunContext };

/** What became of a run: handled, or failed with `err` (its records then go one by one). */
export type RunResult = { ok: true } | { ok: false; err: unknown };

export interface RunsDeps {
  log: Logger;
  retries: RetryDeps;
  /** the most records one combined call takes */
  maxCombinedRecords: number;
}

/** The record decoded, when nothing about it needs the record path: no redrive or control
 *  header, its key not parked, and it decodes and validates. */
export function plainRecord(
  topic: TopicName,
  partition: number,
  m: KafkaMessage,
  blocked: Map<string, ParkedAt>,
): IncomingEvent | undefined {
  const headers = headersToStrings(m.headers as Record<string, unknown>);
  if (headers[HEADERS.redriveGroup] || headers[HEADERS.control]) return undefined;
  const key = m.key ? m.key.toString("utf8") : undefined;
  if (key && blocked.has(key)) return undefined;
  const decoded = decodeEvent(m.value, topic);
  if (!decoded.ok) return undefined;
  return {
    event: decoded.event,
    topic,
    partition,
    offset: m.offset,
    key: key ?? null,
    headers,
    timestamp: m.timestamp,
  };
}

/** A log line per event carries the same ids as on the record path. */
function eventLog(log: Logger, e: IncomingEvent): Logger {
  return log.child({
    topic: e.topic,
    partition: e.partition,
    offset: e.offset,
    key: e.key ?? undefined,
    eventId: e.headers[HEADERS.eventId],
    correlationId: e.headers[HEADERS.correlationId],
    eventType: e.event.type,
  });
}

export class Runs {
  private readonly submit: (run: Run) => Promise<void>;

  constructor(private readonly deps: RunsDeps) {
    const { handler, errors, observer, group } = deps.retries;
    const call = (runs: Run[]): Promise<void> => {
      if (runs.length === 1) return handler(runs[0]!.events, runs[0]!.ctx);
      const owner = new Map<IncomingEvent, Run>();
      for (const r of runs) for (const e of r.events) owner.set(e, r);
      const events = runs.flatMap((r) => r.events);
      return handler(events, {
        log: deps.log.child({ runs: runs.length, records: events.length }),
        logFor: (e) => owner.get(e)!.ctx.logFor(e),
        heartbeat: runs[0]!.ctx.heartbeat,
      });
    };
    // a combined call that fails is tried run by run, so only a bad run goes record by record; an
    // outage reaches every run, which waits it out
    this.submit = groupCommit<Run>(
      (runs) =>
        observer?.around
          ? observer.around({ group, records: runs.flatMap((r) => r.events) }, () => call(runs))
          : call(runs),
      { shared: (err) => errors.isOutage(err), maxWeight: deps.maxCombinedRecords, weight: (r) => r.events.length },
    );
  }

  /** Hands a run of one partition's records to the handler (with other partitions' runs that are
   *  ready too). An outage is waited out as for one record; any other failure is the result. */
  async handle(topic: TopicName, events: IncomingEvent[], io: BatchIo): Promise<RunResult> {
    const first = events[0]!;
    const log = this.deps.log;
    const runLog = log.child({
      topic,
      partition: first.partition,
      fromOffset: first.offset,
      toOffset: events.at(-1)!.offset,
      records: events.length,
    });
    for (let waits = 0; ; ) {
      try {
        await this.submit({ events, ctx: { log: runLog, logFor: (e) => eventLog(log, e), heartbeat: io.heartbeat } });
        return { ok: true };
      } catch (err) {
        if (!this.deps.retries.errors.isOutage(err)) {
          runLog.warn(
            { errorClass: errorClass(err), errorMessage: errorMessage(err) },
            "batch failed; handling its records one by one",
          );
          return { ok: false, err };
        }
        await waitOutOutage(this.deps.retries, ++waits, err, runLog, topic, io);
      }
    }
  }
}
