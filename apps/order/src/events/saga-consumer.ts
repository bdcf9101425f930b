// Consumer group `order`: payment and shipping outcomes drive the Order aggregate.
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher } from "@orderflow/kafka";
import { applySagaEvent, ORDER_GROUP } from "../commands/apply-saga-event.js";
import type { OrderDeps } from "../commands/execute.js";

export function createSagaConsumer(kafka: KafkaClient, publisher: Publisher, deps: OrderDeps): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: ORDER_GROUP,
    topics: ["payment-events", "shipping-events"],
    handler: (msg, ctx) => applySagaEvent({ ...deps, log: ctx.log }, msg),
  });
}
