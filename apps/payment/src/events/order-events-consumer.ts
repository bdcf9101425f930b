// Consumer group `payment`: every order event, to authorize and (as compensation) refund.
import { withRunLog, type EventConsumer, type ServiceConsumers } from "@orderflow/kafka";
import { handleOrderEvents, PAYMENT_GROUP, type PaymentDeps } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(consumers: ServiceConsumers, deps: PaymentDeps): EventConsumer {
  // a run of events in one transaction; a failing run is handled again event by event
  const handler = withRunLog(deps, handleOrderEvents);
  return consumers({ groupId: PAYMENT_GROUP, topics: ["order-events"], handler, runs: { maxRecords: 50 } });
}
