// The order service's use cases behind one interface: HTTP (and through it the CLI) calls these.
import type { KafkaClient, Publisher } from "@orderflow/kafka";
import type { OrderApi } from "../http/app.js";
import { startReplay } from "../projection/replay.js";
import { listViews, projectionStatus, readView } from "../projection/store.js";
import { cancelOrder } from "./cancel-order.js";
import type { OrderDeps } from "./execute.js";
import { getOrder } from "./get-order.js";
import { cancelOrderOnce, placeOrderOnce } from "./idempotent.js";
import { placeOrder } from "./place-order.js";
import { rebuildOrder } from "./rebuild-order.js";

export function createOrderApi(deps: OrderDeps, kafka: { client: KafkaClient; publisher: Publisher }): OrderApi {
  return {
    placeOrder: (input, meta) => placeOrder(deps, input, meta),
    cancelOrder: (id, detail, meta) => cancelOrder(deps, id, detail, meta),
    placeOrderOnce: (input, meta, request, respond) => placeOrderOnce(deps, input, meta, request, respond),
    cancelOrderOnce: (id, detail, meta, request, respond) => cancelOrderOnce(deps, id, detail, meta, request, respond),
    getOrder: (id) => getOrder(deps, id),
    readView: (id) => readView(deps.db, id),
    listViews: (q) => listViews(deps.db, q),
    rebuild: (id) => rebuildOrder(deps, id),
    projectionStatus: () => projectionStatus(deps.db),
    replay: async () => {
      const r = await startReplay({ db: deps.db, kafka: kafka.client, publisher: kafka.publisher, log: deps.log });
      void r.done; // runs on; its outcome is logged and visible in GET /admin/projection
      return { generation: r.generation };
    },
  };
}
