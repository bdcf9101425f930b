// Consumer group `order`: payment and shipping outcomes drive the Order aggregate.
import { databaseErrors, listeningKeyParking } from "@orderflow/db-kit";
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher, type RetryPolicy, type ConsumerObserver } from "@orderflow/kafka";
import { applySagaEvents, ORDER_GROUP } from "../commands/apply-saga-event.js";
import type { OrderDeps } from "../commands/execute.js";

export function createSagaConsumer(kafka: KafkaClient, publisher: Publisher, deps: OrderDeps, retry: RetryPolicy, observer?: ConsumerObserver): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: ORDER_GROUP,
    topics: ["payment-events", "shipping-events"],
    retry,
    ...(observer ? { observer } : {}),
    // later records of an order whose record was dead-lettered wait behind it (docs/operations.md, "When consuming fails")
    parking: listeningKeyParking(deps.db, ORDER_GROUP, { log: deps.log }),
    // a run of outcomes in one transaction; a failing run is handled again record by record
    handler: (run, ctx) => applySagaEvents({ ...deps, log: ctx.log }, run, ctx.logFor),
    runs: { maxRecords: 100 },
    // a database outage is waited out, not dead-lettered
    errors: databaseErrors,
  });
}
