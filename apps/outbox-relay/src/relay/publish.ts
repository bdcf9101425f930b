// Sends outbox rows to Kafka, a producer span per record: what both relay modes do with a batch.
import type { PendingOutboxRow } from "@orderflow/db-kit";
import type { OutgoingRecord, Publisher } from "@orderflow/kafka";
import { startHop } from "@orderflow/observability";

/** Resolves once the broker acknowledged every row; the records as sent. */
export async function publishRows(publisher: Publisher, rows: PendingOutboxRow[]): Promise<OutgoingRecord[]> {
  // a producer span per record, child of the trace that wrote the row
  const hops = rows.map((r) =>
    startHop(`${r.topic} publish`, "producer", r.headers.traceparent, {
      "messaging.system": "kafka",
      "messaging.destination.name": r.topic,
    }),
  );
  const records: OutgoingRecord[] = rows.map((r, i) => ({
    topic: r.topic,
    key: r.key,
    value: r.payload,
    headers:
      hops[i]!.traceparent && hops[i]!.traceparent !== r.headers.traceparent
        ? { ...r.headers, traceparent: hops[i]!.traceparent! }
        : r.headers,
  }));
  try {
    await publisher.send(records);
  } catch (e) {
    for (const h of hops) h.end(e);
    throw e;
  }
  for (const h of hops) h.end();
  return records;
}
