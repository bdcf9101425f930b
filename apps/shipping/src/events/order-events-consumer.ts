// Consumer group `shipping`: paid orders get a shipment; cancelled orders cancel a pending one.
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher } from "@orderflow/kafka";
import { SHIPPING_GROUP, type ShippingDeps } from "../commands/deps.js";
import { handleOrderEvent } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(kafka: KafkaClient, publisher: Publisher, deps: ShippingDeps): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: SHIPPING_GROUP,
    topics: ["order-events"],
    handler: (msg, ctx) => handleOrderEvent({ ...deps, log: ctx.log }, msg),
  });
}
