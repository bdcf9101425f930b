// Consumer group `order`: payment and shipping outcomes drive the Order aggregate.
import { withRunLog, type EventConsumer, type ServiceConsumers } from "@orderflow/kafka";
import { applySagaEvents, ORDER_GROUP, type SagaEnded } from "../commands/apply-saga-event.js";
import type { OrderDeps } from "../commands/execute.js";

export function createSagaConsumer(
  consumers: ServiceConsumers,
  deps: OrderDeps & { sagaEnded?: SagaEnded },
): EventConsumer {
  // a run of outcomes in one transaction; a failing run is handled again record by record
  const handler = withRunLog(deps, applySagaEvents);
  return consumers({
    groupId: ORDER_GROUP,
    topics: ["payment-events", "shipping-events"],
    handler,
    runs: { maxRecords: 100 },
  });
}
