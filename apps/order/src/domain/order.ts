// The Order aggregate as a decider: decide(command, state) → events, evolve(state, event) → state.
// Pure: ids and time arrive inside commands; no I/O here.
import type {
  CancellationReason as CancellationReasonSchema,
  EventData,
  OrderItem,
  ShippingAddress,
  ShippingSpeed as ShippingSpeedSchema,
} from "@orderflow/contracts";
import { totalOfItems } from "@orderflow/contracts";
import type { z } from "zod";
import { OrderDomainError } from "./errors.js";

type CancellationReason = z.infer<typeof CancellationReasonSchema>;
type ShippingSpeed = z.infer<typeof ShippingSpeedSchema>;
type OrderStatus = "PLACED" | "PAID" | "SHIPPED" | "CANCELLED";

export type OrderEvent =
  | { type: "OrderPlaced"; data: EventData<"OrderPlaced"> }
  | { type: "OrderPaid"; data: EventData<"OrderPaid"> }
  | { type: "OrderShipped"; data: EventData<"OrderShipped"> }
  | { type: "OrderCancelled"; data: EventData<"OrderCancelled"> };

export type OrderCommand =
  | {
      type: "PlaceOrder";
      orderId: string;
      customerId: string;
      items: OrderItem[];
      currency: string;
      shippingAddress: ShippingAddress;
      shippingSpeed: ShippingSpeed;
    }
  | { type: "CancelOrder"; orderId: string; reason: CancellationReason; detail?: string }
  | { type: "RecordPaymentAuthorized"; orderId: string; paymentId: string; amount: number; currency: string }
  | { type: "RecordPaymentDeclined"; orderId: string; paymentId: string; reason: string }
  | { type: "RecordShipmentDispatched"; orderId: string; shipmentId: string; carrier: string; trackingNumber: string };

export interface Order {
  orderId: string;
  status: OrderStatus;
  customerId: string;
  items: OrderItem[];
  currency: string;
  totalAmount: number;
  shippingAddress: ShippingAddress;
  shippingSpeed: ShippingSpeed;
  payment?: { paymentId: string; amount: number };
  shipment?: { shipmentId: string; carrier: string; trackingNumber: string };
  cancellation?: { reason: CancellationReason; detail?: string };
  /** number of events folded into this state: the expected version for the next append */
  version: number;
}

/** No events yet: the order does not exist. */
export type OrderState = Order | undefined;

const initialState: OrderState = undefined;

/** Exact, or MoneyOutOfRange: a total is never a rounded float. */
function totalOf(items: OrderItem[]): number {
  return totalOfItems(items);
}

export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  if (command.type === "PlaceOrder") {
    if (state) throw new OrderDomainError("ORDER_ALREADY_EXISTS", `order ${command.orderId} already exists`);
    const { orderId, customerId, items, currency, shippingAddress, shippingSpeed } = command;
    return [
      {
        type: "OrderPlaced",
        data: { orderId, customerId, items, currency, shippingAddress, shippingSpeed, totalAmount: totalOf(items) },
      },
    ];
  }
  if (!state) throw new OrderDomainError("ORDER_NOT_FOUND", `order ${command.orderId} does not exist`);

  switch (command.type) {
    case "CancelOrder":
      switch (state.status) {
        case "PLACED":
        case "PAID":
          return [
            {
              type: "OrderCancelled",
              data: {
                orderId: state.orderId,
                reason: command.reason,
                ...(command.detail ? { detail: command.detail } : {}),
              },
            },
          ];
        case "CANCELLED":
          return []; // cancelling twice is not an error: the outcome the caller asked for holds
        case "SHIPPED":
          throw new OrderDomainError(
            "ORDER_ALREADY_SHIPPED",
            `order ${state.orderId} has already shipped and can no longer be cancelled`,
          );
        default:
          return exhaustive(state.status);
      }
    case "RecordPaymentAuthorized":
      // Only a PLACED order becomes PAID. A cancelled order ignores a late authorization:
      // payment refunds it when it sees OrderCancelled.
      if (state.status !== "PLACED") return [];
      return [
        {
          type: "OrderPaid",
          data: {
            orderId: state.orderId,
            paymentId: command.paymentId,
            amount: command.amount,
            currency: command.currency,
            shippingAddress: state.shippingAddress,
          },
        },
      ];
    case "RecordPaymentDeclined":
      if (state.status !== "PLACED") return [];
      return [
        {
          type: "OrderCancelled",
          data: { orderId: state.orderId, reason: "PAYMENT_DECLINED", detail: command.reason },
        },
      ];
    case "RecordShipmentDispatched":
      // Cancel wins over a dispatch that raced it: a CANCELLED order stays cancelled (docs/architecture.md, "Cancel vs dispatch race").
      if (state.status !== "PAID") return [];
      return [
        {
          type: "OrderShipped",
          data: {
            orderId: state.orderId,
            shipmentId: command.shipmentId,
            carrier: command.carrier,
            trackingNumber: command.trackingNumber,
          },
        },
      ];
    default:
      return exhaustive(command);
  }
}

function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === "OrderPlaced") {
    const d = event.data;
    return {
      orderId: d.orderId,
      status: "PLACED",
      customerId: d.customerId,
      items: d.items,
      currency: d.currency,
      totalAmount: d.totalAmount,
      shippingAddress: d.shippingAddress,
      shippingSpeed: d.shippingSpeed,
      version: 1,
    };
  }
  if (!state) throw new OrderDomainError("CORRUPT_STREAM", `${event.type} before OrderPlaced`);
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case "OrderPaid":
      return { ...next, status: "PAID", payment: { paymentId: event.data.paymentId, amount: event.data.amount } };
    case "OrderShipped":
      return {
        ...next,
        status: "SHIPPED",
        shipment: {
          shipmentId: event.data.shipmentId,
          carrier: event.data.carrier,
          trackingNumber: event.data.trackingNumber,
        },
      };
    case "OrderCancelled":
      return {
        ...next,
        status: "CANCELLED",
        cancellation: { reason: event.data.reason, ...(event.data.detail ? { detail: event.data.detail } : {}) },
      };
    default:
      return exhaustive(event);
  }
}

export function fold(events: readonly OrderEvent[], state: OrderState = initialState): OrderState {
  return events.reduce(evolve, state);
}

function exhaustive(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
