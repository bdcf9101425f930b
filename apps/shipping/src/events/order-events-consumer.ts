// Consumer group `shipping`: paid orders get a shipment; cancelled orders cancel a pending one.
import { withRunLog, type EventConsumer, type ServiceConsumers } from "@orderflow/kafka";
import { SHIPPING_GROUP, type ShippingDeps } from "../commands/deps.js";
import { handleOrderEvents } from "../commands/handle-order-event.js";

export function createOrderEventsConsumer(consumers: ServiceConsumers, deps: ShippingDeps): EventConsumer {
  // a run of events in one transaction; a failing run is handled again event by event
  const handler = withRunLog(deps, handleOrderEvents);
  return consumers({ groupId: SHIPPING_GROUP, topics: ["order-events"], handler, runs: { maxRecords: 50 } });
}
