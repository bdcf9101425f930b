// The order service's use cases behind one interface: HTTP (and through it the CLI) calls these.
import type { KafkaClient, Publisher } from "@orderflow/kafka";
import type { StoredOrderEvent } from "../db/event-store.js";
import type { Order } from "../domain/order.js";
import type { OrderView } from "../projection/order-view.js";
import { startReplay } from "../projection/replay.js";
import {
  listViews,
  projectionStatus,
  readView,
  type ListQuery,
  type ProjectionStatus,
  type ViewRow,
} from "../db/read-model.js";
import { cancelOrder } from "./cancel-order.js";
import type { CommandMeta, OrderDeps } from "./execute.js";
import { getOrder } from "./get-order.js";
import {
  cancelOrderOnce,
  placeOrderOnce,
  type IdempotentRequest,
  type IdempotentResult,
  type Respond,
} from "./idempotent.js";
import { placeOrder, type PlaceOrderInput } from "./place-order.js";
import { rebuildOrder, type Rebuilt } from "./rebuild-order.js";

/** The port the order service's entry points (its HTTP API) drive; the use cases implement it. */
export interface OrderApi {
  placeOrder(input: PlaceOrderInput, meta: CommandMeta): Promise<Order>;
  cancelOrder(orderId: string, detail: string | undefined, meta: CommandMeta): Promise<Order>;
  placeOrderOnce(
    input: PlaceOrderInput,
    meta: CommandMeta,
    request: IdempotentRequest,
    respond: Respond,
  ): Promise<IdempotentResult>;
  cancelOrderOnce(
    orderId: string,
    detail: string | undefined,
    meta: CommandMeta,
    request: IdempotentRequest,
    respond: Respond,
  ): Promise<IdempotentResult>;
  getOrder(orderId: string): Promise<{ state: Order | undefined; events: StoredOrderEvent[] }>;
  readView(orderId: string): Promise<ViewRow | undefined>;
  listViews(q: ListQuery): Promise<OrderView[]>;
  rebuild(orderId: string): Promise<Rebuilt>;
  replay(): Promise<{ generation: number }>;
  projectionStatus(): Promise<ProjectionStatus>;
}

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
