// Public surface of @orderflow/kafka: the only package that imports kafkajs.
export { createKafkaClient, type KafkaClient, type KafkaClientConfig, type KafkaSecurity } from "./client.js";
export { createPublisher, type Publisher } from "./publisher.js";
export { recordForEvent, type OutgoingRecord } from "./records.js";
export {
  crashAfterHandled,
  createEventConsumer,
  type ConsumerObserver,
  type EventConsumer,
  type EventConsumerOptions,
  type IncomingEvent,
  type Outcome,
  type RunContext,
  type RunHandler,
} from "./consumer.js";
export {
  serviceConsumers,
  withRunLog,
  type ServiceConsumers,
  type SharedConsumerSettings,
} from "./service-consumers.js";
export { DLT_HEADERS, deadLetterRecord, type Failure } from "./dead-letter.js";
export {
  defaultErrorClassifier,
  errorClass,
  isOutage,
  isRetriable,
  NonRetriableError,
  RetriableError,
  type ErrorClassifier,
} from "./errors.js";
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy, settledWithin } from "./retry.js";
export { readTopic, readTopicToEnd, type RawRecord } from "./read.js";
export { kafkaReachability } from "./health.js";
export {
  caughtUp,
  consumerGroupLag,
  deleteConsumerGroup,
  describeTopics,
  monitorLag,
  type TopicDescription,
  deletePrefixedTopics,
  ensureTopic,
  ensureTopics,
  plannedTopics,
  type PartitionLag,
  type TopicPlan,
} from "./admin.js";
export { memoryKeyParking, type KeyParking, type ParkedAt } from "./parking.js";
export {
  DEFAULT_MAX_REDRIVES,
  discard,
  distinctDeadLetters,
  listDeadLetters,
  readAudit,
  redrive,
  type ActionResult,
  type AuditEntry,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterState,
  type PendingSource,
  type RedriveSelection,
} from "./redrive.js";
export { createDeadLetterIndex, type DeadLetterIndex } from "./dead-letter-index.js";
export { applyAcls, serviceAcls, type AclGrant } from "./acl.js";
export { incomingRecord } from "./testing.js";
