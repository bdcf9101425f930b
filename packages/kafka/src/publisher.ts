import { Partitioners, type Producer } from "kafkajs";
import type { KafkaClient } from "./client.js";
import type { OutgoingRecord } from "./records.js";

export interface Publisher {
  connect(): Promise<void>;
  /** Resolves once every record is acknowledged by all in-sync replicas. Records keep their
   *  order per topic-partition. */
  send(records: OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
}

export function createPublisher(client: KafkaClient): Publisher {
  // idempotent: broker-side dedupe of producer retries, which also keeps per-partition order
  const producer: Producer = client.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // murmur2, the same partition for a key as the Java client picks
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let connected = false;
  producer.on(producer.events.CONNECT, () => (connected = true));
  producer.on(producer.events.DISCONNECT, () => (connected = false));
  return {
    async connect() {
      await producer.connect();
      connected = true;
    },
    async send(records) {
      if (records.length === 0) return;
      const byTopic = new Map<string, OutgoingRecord[]>();
      for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, rs]) => ({ topic: client.physical(topic), messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) })),
      });
    },
    async disconnect() {
      await producer.disconnect();
      connected = false;
    },
    isConnected: () => connected,
  };
}
