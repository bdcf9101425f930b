// The last step of the record path: a failed record's key is parked, then the record goes to
// `<topic>.<group>.dlt` with its key, value and headers and why it failed. Its offset is
// committed only once the broker acknowledged the dead letter.
import type { Logger } from "pino";
import { deadLetterRecord, type Failure, type SourceRecord } from "../dead-letter.js";
import type { KeyParking, ParkedAt } from "../parking.js";
import type { Publisher } from "../publisher.js";
import { pause, type BatchIo } from "./io.js";

export interface DeadLettersDeps {
  publisher: Pick<Publisher, "send">;
  /** the group whose dead-letter topics these are */
  group: string;
  parking?: KeyParking | undefined;
}

export class DeadLetters {
  constructor(private readonly deps: DeadLettersDeps) {}

  /** Publishes the dead letter, retrying (and heartbeating) until it is acknowledged: until then
   *  the source offset is not committed. Stopping abandons it uncommitted, for the next owner. */
  async publish(src: SourceRecord, f: Failure, log: Logger, io: BatchIo): Promise<void> {
    const record = deadLetterRecord(src, this.deps.group, f);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.publisher.send([record]);
        break;
      } catch (err) {
        if (attempt === 1)
          log.error({ err, dlt: record.topic }, "dead-letter publish failed; not committing, retrying");
        await pause(Math.min(5_000, 200 * 2 ** (attempt - 1)), io);
      }
    }
    log.warn(
      { errorClass: f.errorClass, errorMessage: f.errorMessage, attempts: f.attempts, dlt: record.topic },
      "record dead-lettered",
    );
  }

  /** Dead-letters a record that failed; its key is parked first, so a crash in between leaves
   *  the key parked behind a record that comes back (and is recognised as the head). */
  async fail(
    src: SourceRecord,
    f: Failure,
    log: Logger,
    io: BatchIo,
    blocked: Map<string, ParkedAt>,
    redriveId: string | null,
  ): Promise<"dead-lettered"> {
    const key = src.key?.toString("utf8");
    const parking = this.deps.parking;
    if (key && parking) {
      const at: ParkedAt = { topic: src.topic, partition: src.partition, offset: src.offset, redriveId };
      await parking.block(key, at);
      blocked.set(key, at);
    }
    await this.publish(src, f, log, io);
    return "dead-lettered";
  }
}
