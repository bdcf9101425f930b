// Sends outbox rows to Kafka, a producer span per record: what both relay modes do with a batch.
import type { PendingOutboxRow } from "@orderflow/db-kit";
import type { OutgoingRecord, Publisher } from "@orderflow/kafka";
import { traceSends } from "@orderflow/observability";
import type { Logger } from "pino";

const SUMMARY_MS = 60_000;

/** What both modes log of what the broker acknowledged: a summary a minute at info, and at debug
 *  a line per record with its event and correlation ids, so one order's path can be followed. */
export class PublishedLog {
  private summary = { rows: 0, batches: 0, since: Date.now() };
  constructor(private readonly log: Logger) {}

  published(records: { topic: string; headers?: Record<string, string> }[]): void {
    this.summary.rows += records.length;
    this.summary.batches++;
    if (Date.now() - this.summary.since >= SUMMARY_MS) {
      const { rows, batches, since } = this.summary;
      this.log.info({ rows, batches, seconds: Math.round((Date.now() - since) / 1000) }, "published outbox rows");
      this.summary = { rows: 0, batches: 0, since: Date.now() };
    }
    if (!this.log.isLevelEnabled("debug")) return;
    this.log.debug({ count: records.length }, "published outbox batch");
    for (const r of records)
      this.log.debug(
        {
          eventId: r.headers?.["event-id"],
          eventType: r.headers?.["event-type"],
          correlationId: r.headers?.["correlation-id"],
          topic: r.topic,
        },
        "published",
      );
  }
}

/** Resolves once the broker acknowledged every row; the records as sent. */
export async function publishRows(publisher: Publisher, rows: PendingOutboxRow[]): Promise<OutgoingRecord[]> {
  // a producer span per record, child of the trace that wrote the row
  const sending = traceSends<OutgoingRecord>(
    rows.map((r) => ({ topic: r.topic, key: r.key, value: r.payload, headers: r.headers })),
  );
  try {
    sending.sent(await publisher.send(sending.records));
  } catch (e) {
    sending.failed(e);
    throw e;
  }
  return sending.records;
}
