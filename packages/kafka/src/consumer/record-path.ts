// The record path, for a record alone: redrive routing → key release → parking → decode and
// validate → handle with retries and outage waits → dead letter.
import { decodeEvent, HEADERS, type TopicName } from "@orderflow/contracts";
import type { KafkaMessage } from "kafkajs";
import type { Logger } from "pino";
import type { SourceRecord } from "../dead-letter.js";
import type { KeyParking, ParkedAt } from "../parking.js";
import { headersToStrings } from "../records.js";
import type { DeadLetters } from "./dead-letters.js";
import type { BatchIo } from "./io.js";
import { handleWithRetries, type RetryDeps } from "./retries.js";
import type { IncomingEvent, Outcome } from "./types.js";

export interface RecordPathDeps {
  group: string;
  log: Logger;
  parking?: KeyParking | undefined;
  deadLetters: DeadLetters;
  retries: RetryDeps;
}

/** Where one record is on the path: its source for a dead letter, its headers, key and log. */
interface InHand {
  src: SourceRecord;
  headers: Record<string, string>;
  key: string | undefined;
  /** set when the record was redriven for this group */
  redriveId: string | null;
  log: Logger;
}

export class RecordPath {
  constructor(private readonly deps: RecordPathDeps) {}

  /** Takes one record down the path; throws Aborted when the batch is given up. `firstFailure`:
   *  see handleWithRetries. */
  async process(
    topic: TopicName,
    partition: number,
    m: KafkaMessage,
    io: BatchIo,
    blocked: Map<string, ParkedAt>,
    firstFailure?: { err: unknown },
  ): Promise<Outcome> {
    const headers = headersToStrings(m.headers as Record<string, unknown>);
    const target = headers[HEADERS.redriveGroup];
    if (target && target !== this.deps.group) return "skipped"; // redriven for another group
    const redriveId = target ? (headers[HEADERS.redriveId] ?? "") : null;
    const key = m.key ? m.key.toString("utf8") : undefined;
    const log = this.deps.log.child({
      topic,
      partition,
      offset: m.offset,
      key,
      eventId: headers[HEADERS.eventId],
      correlationId: headers[HEADERS.correlationId],
      ...(redriveId ? { redriveId } : {}),
    });
    const src: SourceRecord = {
      topic,
      partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key,
      value: m.value,
      headers: m.headers as Record<string, unknown>,
    };
    const r: InHand = { src, headers, key, redriveId, log };

    if (headers[HEADERS.control] === "release-key") return this.release(r, blocked);
    if (await this.parkedBehind(r, blocked, io)) return "parked";

    const decoded = decodeEvent(m.value, topic);
    if (!decoded.ok) {
      const now = new Date();
      const errorClass =
        decoded.reason === "undecodable"
          ? "UndecodableRecord"
          : decoded.reason === "unknown-type"
            ? "UnknownEventType"
            : "InvalidEvent";
      return this.deps.deadLetters.fail(
        src,
        { errorClass, errorMessage: decoded.message, attempts: 1, firstFailureAt: now, lastFailureAt: now },
        log,
        io,
        blocked,
        redriveId,
      );
    }
    const recordLog = log.child({ eventType: decoded.event.type });
    const incoming: IncomingEvent = {
      event: decoded.event,
      topic,
      partition,
      offset: m.offset,
      key: key ?? null,
      headers,
      timestamp: m.timestamp,
    };
    const handle = async (): Promise<Outcome> => {
      const failure = await handleWithRetries(this.deps.retries, incoming, recordLog, io, firstFailure);
      return failure ? this.deps.deadLetters.fail(src, failure, recordLog, io, blocked, redriveId) : "handled";
    };
    const around = this.deps.retries.observer?.around;
    return around ? around({ group: this.deps.group, records: [incoming] }, handle) : handle();
  }

  /** the control record a redrive ends with: unpark the key unless its head failed again */
  private async release(r: InHand, blocked: Map<string, ParkedAt>): Promise<Outcome> {
    const parking = this.deps.parking;
    if (r.key && r.redriveId !== null && parking) {
      const released = await parking.release(r.key, r.redriveId);
      if (released) blocked.delete(r.key);
      r.log.info(
        { released },
        released ? "key released after redrive" : "key stays parked: its head failed again during the redrive",
      );
    }
    return "released";
  }

  /** A live record waits behind its key's failure (dead-lettered as parked); a redriven one
   *  passes unless its own redrive's head just failed again. */
  private async parkedBehind(r: InHand, blocked: Map<string, ParkedAt>, io: BatchIo): Promise<boolean> {
    const at = r.key ? blocked.get(r.key) : undefined;
    if (!at) return false;
    const { topic, partition, offset } = r.src;
    const isHead = at.topic === topic && at.partition === partition && at.offset === offset;
    if (isHead || (r.redriveId !== null && at.redriveId !== r.redriveId)) return false;
    const now = new Date();
    const errorMessage = `parked behind ${at.topic}/${at.partition}@${at.offset}: an earlier record of key ${r.key} failed in group ${this.deps.group}`;
    await this.deps.deadLetters.publish(
      r.src,
      { errorClass: "ParkedBehindFailure", errorMessage, attempts: 0, firstFailureAt: now, lastFailureAt: now },
      r.log,
      io,
    );
    return true;
  }
}
