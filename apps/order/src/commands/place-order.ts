import type { OrderItem, ShippingAddress } from "@orderflow/contracts";
import type { Tx } from "../db/client.js";
import type { Order } from "../domain/order.js";
import { execute, type CommandMeta, type OrderDeps } from "./execute.js";

export interface PlaceOrderInput {
  customerId: string;
  items: OrderItem[];
  currency: string;
  shippingAddress: ShippingAddress;
  shippingSpeed: "STANDARD" | "EXPRESS";
}

export function placeOrderCommand(orderId: string, input: PlaceOrderInput) {
  return { type: "PlaceOrder" as const, orderId, ...input };
}

export async function placeOrder(deps: OrderDeps, input: PlaceOrderInput, meta: CommandMeta, tx?: Tx): Promise<Order> {
  const orderId = deps.newId();
  const r = await execute(deps, orderId, placeOrderCommand(orderId, input), meta, tx);
  return r.state!;
}
