// Consumer group `payment`: every order event, to authorize and (as compensation) refund.
import { databaseErrors, listeningKeyParking } from "@orderflow/db-kit";
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher, type RetryPolicy, type ConsumerObserver } from "@orderflow/kafka";
import { handleOrderEvents, PAYMENT_GROUP, type PaymentDeps } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(kafka: KafkaClient, publisher: Publisher, deps: PaymentDeps, retry: RetryPolicy, observer?: ConsumerObserver): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: PAYMENT_GROUP,
    topics: ["order-events"],
    retry,
    ...(observer ? { observer } : {}),
    // later records of an order whose record was dead-lettered wait behind it (docs/operations.md, "When consuming fails")
    parking: listeningKeyParking(deps.db, PAYMENT_GROUP, { log: deps.log }),
    // a run of events in one transaction; a failing run is handled again event by event
    handler: (run, ctx) => handleOrderEvents({ ...deps, log: ctx.log }, run, ctx.logFor),
    runs: { maxRecords: 50 },
    // a database outage is waited out, not dead-lettered
    errors: databaseErrors,
  });
}
