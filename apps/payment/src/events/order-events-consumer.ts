// Consumer group `payment`: every order event, to authorize and (as compensation) refund.
import { listeningKeyParking } from "@orderflow/db-kit";
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher, type RetryPolicy, type ConsumerObserver } from "@orderflow/kafka";
import { handleOrderEvent, handleOrderEvents, PAYMENT_GROUP, type PaymentDeps } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(kafka: KafkaClient, publisher: Publisher, deps: PaymentDeps, retry: RetryPolicy, observer?: ConsumerObserver): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: PAYMENT_GROUP,
    topics: ["order-events"],
    retry,
    ...(observer ? { observer } : {}),
    // later records of an order whose record was dead-lettered wait behind it (docs/operations.md, "When consuming fails")
    parking: listeningKeyParking(deps.db, PAYMENT_GROUP, { log: deps.log }),
    handler: (msg, ctx) => handleOrderEvent({ ...deps, log: ctx.log }, msg),
    // a run of events in one transaction; a failing run falls back to `handler` per event
    batchHandler: { handle: (msgs, ctx) => handleOrderEvents({ ...deps, log: ctx.log }, msgs, ctx.logFor), maxRecords: 50 },
  });
}
