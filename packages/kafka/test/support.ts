import { randomUUID } from "node:crypto";
import { createEvent, type OrderflowEvent } from "@orderflow/contracts";
import { Partitioners } from "kafkajs";

export async function waitFor<T>(what: string, probe: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const partitioner = Partitioners.DefaultPartitioner();
const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
export const partitionOf = (key: string, topic = "shipping-events") => partitioner({ topic, partitionMetadata, message: { key, value: null } });

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
  return createEvent("ShipmentCancelled", { orderId, shipmentId: randomUUID(), reason: step }, { id: randomUUID(), occurredAt: new Date().toISOString(), correlationId: `corr-${orderId}`, causationId: null, source: "test" });
}
