// The Order event store: an append-only stream per order, guarded by (order_id, sequence).
import { parseEvent, type EventOf } from "@orderflow/contracts";
import { RetriableError } from "@orderflow/kafka";
import { Prisma } from "../generated/prisma/client.js";
import type { Tx } from "./client.js";

export type StoredOrderEvent = EventOf<"OrderPlaced"> | EventOf<"OrderPaid"> | EventOf<"OrderShipped"> | EventOf<"OrderCancelled">;

/** Another writer appended to the same stream first. Retrying against the new state is safe. */
export class ConcurrencyConflict extends RetriableError {
  constructor(orderId: string, expectedVersion: number) {
    super(`order ${orderId} changed concurrently (expected version ${expectedVersion})`, "CONCURRENCY_CONFLICT");
    this.name = "ConcurrencyConflict";
  }
}

export async function loadStream(tx: Tx, orderId: string): Promise<StoredOrderEvent[]> {
  const rows = await tx.orderEvent.findMany({ where: { orderId }, orderBy: { sequence: "asc" } });
  return rows.map((r) => {
    const parsed = parseEvent({
      id: r.eventId,
      type: r.type,
      version: r.version,
      occurredAt: r.occurredAt.toISOString(),
      aggregateId: r.orderId,
      correlationId: r.correlationId,
      causationId: r.causationId,
      source: "order",
      data: r.data,
    });
    if (!parsed.ok) throw new Error(`stored event ${r.eventId} of order ${orderId} is unreadable: ${parsed.message}`);
    return parsed.event as StoredOrderEvent;
  });
}

export async function appendToStream(tx: Tx, orderId: string, expectedVersion: number, events: StoredOrderEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await tx.orderEvent.createMany({
      data: events.map((e, i) => ({
        orderId,
        sequence: expectedVersion + i + 1,
        eventId: e.id,
        type: e.type,
        version: e.version,
        data: e.data as Prisma.InputJsonValue,
        correlationId: e.correlationId,
        causationId: e.causationId,
        occurredAt: new Date(e.occurredAt),
      })),
    });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") throw new ConcurrencyConflict(orderId, expectedVersion);
    throw e;
  }
}
