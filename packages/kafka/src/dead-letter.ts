import { dltTopicName } from "@orderflow/contracts";
import { headersToStrings, type OutgoingRecord } from "./records.js";

/** Header names a dead-lettered record carries besides its original headers. */
export const DLT_HEADERS = {
  errorClass: "dlt-error-class",
  errorMessage: "dlt-error-message",
  originalTopic: "dlt-original-topic",
  originalPartition: "dlt-original-partition",
  originalOffset: "dlt-original-offset",
  originalTimestamp: "dlt-original-timestamp",
  consumerGroup: "dlt-consumer-group",
  attempts: "dlt-attempts",
  firstFailureAt: "dlt-first-failure-at",
  lastFailureAt: "dlt-last-failure-at",
} as const;

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, unknown>;
}

export interface Failure {
  errorClass: string;
  errorMessage: string;
  attempts: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

/** The record for `<topic>.<group>.dlt`: same key and value bytes, original headers plus why,
 *  where from and how often it failed. */
export function deadLetterRecord(src: SourceRecord, group: string, f: Failure): OutgoingRecord {
  return {
    topic: dltTopicName(src.topic, group),
    key: src.key ? src.key.toString("utf8") : null,
    value: src.value,
    headers: {
      ...headersToStrings(src.headers),
      [DLT_HEADERS.errorClass]: f.errorClass,
      [DLT_HEADERS.errorMessage]: f.errorMessage.slice(0, 4000),
      [DLT_HEADERS.originalTopic]: src.topic,
      [DLT_HEADERS.originalPartition]: String(src.partition),
      [DLT_HEADERS.originalOffset]: src.offset,
      [DLT_HEADERS.originalTimestamp]: src.timestamp,
      [DLT_HEADERS.consumerGroup]: group,
      [DLT_HEADERS.attempts]: String(f.attempts),
      [DLT_HEADERS.firstFailureAt]: f.firstFailureAt.toISOString(),
      [DLT_HEADERS.lastFailureAt]: f.lastFailureAt.toISOString(),
    },
  };
}
