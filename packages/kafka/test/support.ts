import { randomUUID } from "node:crypto";
import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import { Partitioners } from "kafkajs";

/** vi.waitFor's options in these tests: a join or a rebalance takes seconds, polling every 100 ms */
export const poll = { timeout: 30_000, interval: 100 };

const partitioner = Partitioners.DefaultPartitioner();
const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({
  partitionId,
  leader: 1,
  partitionErrorCode: 0,
  replicas: [1],
  isr: [1],
}));
export const partitionOf = (key: string, topic = "shipping-events") =>
  partitioner({ topic, partitionMetadata, message: { key, value: null } });

/** n order ids whose records land on the same partition */
export function keysOnOnePartition(n: number): string[] {
  const first = randomUUID();
  const p = partitionOf(first);
  const keys = [first];
  while (keys.length < n) {
    const k = randomUUID();
    if (partitionOf(k) === p) keys.push(k);
  }
  return keys;
}

export function shipmentCancelled(orderId: string, step: string): OrderflowEvent {
  return createEvent(
    "ShipmentCancelled",
    { orderId, shipmentId: randomUUID(), reason: step },
    {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: `corr-${orderId}`,
      causationId: null,
      source: "test",
    },
  );
}
