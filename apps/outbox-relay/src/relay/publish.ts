// Sends outbox rows to Kafka, a producer span per record: what both relay modes do with a batch.
import type { PendingOutboxRow } from "@orderflow/db-kit";
import type { OutgoingRecord, Publisher } from "@orderflow/kafka";
import { traceSends } from "@orderflow/observability";

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
