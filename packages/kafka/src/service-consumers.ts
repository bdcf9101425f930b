// The consumers of one service share its Kafka client, its dead-letter producer, its retry policy
// and observer, and how they park keys and read errors; each consumer adds only its group, topics,
// handler and run settings.
import type { KafkaClient } from "./client.js";
import { createEventConsumer } from "./consumer.js";
import type {
  ConsumerObserver,
  EventConsumer,
  EventConsumerOptions,
  IncomingEvent,
  RunContext,
  RunHandler,
} from "./consumer/types.js";
import type { ErrorClassifier } from "./errors.js";
import type { KeyParking } from "./parking.js";
import type { Publisher } from "./publisher.js";
import type { RetryPolicy } from "./retry.js";

export interface SharedConsumerSettings {
  retry: Partial<RetryPolicy>;
  observer?: ConsumerObserver;
  /** where a group keeps the keys parked behind a dead-lettered record */
  parking?: (groupId: string) => KeyParking;
  errors?: ErrorClassifier;
}

/** Creates one consumer of the service from what is its own. */
export type ServiceConsumers = (options: Omit<EventConsumerOptions, keyof SharedConsumerSettings>) => EventConsumer;

export function serviceConsumers(
  kafka: KafkaClient,
  publisher: Publisher,
  shared: SharedConsumerSettings,
): ServiceConsumers {
  return (options) =>
    createEventConsumer(kafka, publisher, {
      retry: shared.retry,
      ...(shared.observer ? { observer: shared.observer } : {}),
      ...(shared.parking ? { parking: shared.parking(options.groupId) } : {}),
      ...(shared.errors ? { errors: shared.errors } : {}),
      ...options,
    });
}

/** A run handler that applies the run with the service's `deps`, logging with the run's logger
 *  (it carries the run's topic, partition and offsets). */
export function withRunLog<D extends { log: RunContext["log"] }>(
  deps: D,
  apply: (deps: D, run: IncomingEvent[], logFor: RunContext["logFor"]) => Promise<void>,
): RunHandler {
  return (run, ctx) => apply({ ...deps, log: ctx.log }, run, ctx.logFor);
}
