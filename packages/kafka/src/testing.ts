// For services' tests: an event as the consumer hands it to a run handler, without a broker.
import { type OrderflowEvent, type TopicName, topicOf } from "@orderflow/contracts";
import type { IncomingEvent } from "./consumer/types.js";

/** `event` as consumed from the first record of partition 0 of its topic (or of `topic`). */
export function incomingRecord(event: OrderflowEvent, topic: TopicName = topicOf(event.type)): IncomingEvent {
  return { event, topic, partition: 0, offset: "0", key: event.aggregateId, headers: {}, timestamp: "0" };
}
