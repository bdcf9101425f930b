// Consumer group `payment`: every order event, to authorize and (as compensation) refund.
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher } from "@orderflow/kafka";
import { handleOrderEvent, PAYMENT_GROUP, type PaymentDeps } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(kafka: KafkaClient, publisher: Publisher, deps: PaymentDeps): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: PAYMENT_GROUP,
    topics: ["order-events"],
    handler: (msg, ctx) => handleOrderEvent({ ...deps, log: ctx.log }, msg),
  });
}
