// Consumer group `shipping`: paid orders get a shipment; cancelled orders cancel a pending one.
import { databaseErrors, listeningKeyParking } from "@orderflow/db-kit";
import { createEventConsumer, type EventConsumer, type KafkaClient, type Publisher, type RetryPolicy, type ConsumerObserver } from "@orderflow/kafka";
import { SHIPPING_GROUP, type ShippingDeps } from "../commands/deps.js";
import { handleOrderEvents } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(kafka: KafkaClient, publisher: Publisher, deps: ShippingDeps, retry: RetryPolicy, observer?: ConsumerObserver): EventConsumer {
  return createEventConsumer(kafka, publisher, {
    groupId: SHIPPING_GROUP,
    topics: ["order-events"],
    retry,
    ...(observer ? { observer } : {}),
    // later records of an order whose record was dead-lettered wait behind it (docs/operations.md, "When consuming fails")
    parking: listeningKeyParking(deps.db, SHIPPING_GROUP, { log: deps.log }),
    // a run of events in one transaction; a failing run is handled again event by event
    handler: (run, ctx) => handleOrderEvents({ ...deps, log: ctx.log }, run, ctx.logFor),
    runs: { maxRecords: 50 },
    // a database outage is waited out, not dead-lettered
    errors: databaseErrors,
  });
}
