import { Partitioners, type Message, type Producer, type RecordMetadata } from "kafkajs";
import type { KafkaClient } from "./client.js";
import type { OutgoingRecord } from "./records.js";

/** Messages of a send whose partition has no acknowledgement in the response. kafkajs 2.2.4 can
 *  resolve a send without producing to a partition: when a partition's leader moves, during the
 *  send's retry, to a broker that already answered the first attempt for its own partitions, the
 *  retry skips that broker (its responses are kept per broker, not per partition). The reliability
 *  suite caught an OrderPaid lost this way while a partition leader was SIGKILLed. */
export function unacknowledged(
  sent: { topic: string; messages: Message[] }[],
  partitionOf: (m: Message) => number | undefined,
  response: RecordMetadata[],
): { topic: string; partition: number | undefined; messages: Message[] }[] {
  const acked = new Set(response.map((r) => `${r.topicName}|${r.partition}`));
  const missing = new Map<string, { topic: string; partition: number | undefined; messages: Message[] }>();
  for (const { topic, messages } of sent) {
    for (const m of messages) {
      const partition = m.partition ?? partitionOf(m);
      if (partition !== undefined && acked.has(`${topic}|${partition}`)) continue;
      const k = `${topic}|${partition}`;
      const entry = missing.get(k) ?? { topic, partition, messages: [] };
      entry.messages.push(m);
      missing.set(k, entry);
    }
  }
  return [...missing.values()];
}

const MAX_RESENDS = 5;

/** The records as kafkajs messages grouped by topic, noting each message's index in `indexOf`. */
function byTopic(records: OutgoingRecord[], indexOf: Map<Message, number>): [string, Message[]][] {
  const topics = new Map<string, Message[]>();
  for (const [i, r] of records.entries()) {
    const messages = topics.get(r.topic) ?? [];
    if (messages.length === 0) topics.set(r.topic, messages);
    const m: Message = { key: r.key, value: r.value, headers: r.headers };
    indexOf.set(m, i);
    messages.push(m);
  }
  return [...topics];
}

/** Where the broker stored a record: its partition and offset. */
export interface Placement {
  partition: number;
  offset: string;
}

/** Each acknowledged message's placement: the broker gives a partition's first offset, and a
 *  partition's messages of one request follow it in order. */
export function placeAcknowledged(
  sent: { topic: string; messages: Message[] }[],
  partitionOf: (m: Message) => number | undefined,
  response: RecordMetadata[],
  place: (m: Message, p: Placement) => void,
): void {
  const next = new Map<string, bigint>();
  for (const r of response)
    if (r.baseOffset !== undefined) next.set(`${r.topicName}|${r.partition}`, BigInt(r.baseOffset));
  for (const { topic, messages } of sent) {
    for (const m of messages) {
      const partition = m.partition ?? partitionOf(m);
      const k = `${topic}|${partition}`;
      const offset = next.get(k);
      if (partition === undefined || offset === undefined) continue;
      next.set(k, offset + 1n);
      place(m, { partition, offset: String(offset) });
    }
  }
}

export interface Publisher {
  connect(): Promise<void>;
  /** Resolves once every record is acknowledged by all in-sync replicas, with each record's
   *  placement (in the order of `records`; for a producer span, say). Records keep their order
   *  per topic-partition. */
  send(records: OutgoingRecord[]): Promise<Placement[]>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
}

export function createPublisher(client: KafkaClient): Publisher {
  // the partition kafkajs last chose for each message object, to check the response against
  const chosen = new WeakMap<Message, number>();
  // idempotent: broker-side dedupe of producer retries, which also keeps per-partition order
  const producer: Producer = client.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Retries at most 2 s apart. When a partition leader dies, a send retries against metadata
    // that still names it until the controller moves leadership (~9–13 s here); with the
    // client's doubling backoff the try after that came 10–20 s later: a send stalled 23–41 s
    // per leader SIGKILL on the 3-broker cluster, 12.7 s with this (leadership moved after
    // 9.5 s). Still bounded (~16 s in all), so an outage surfaces as a failed send: the relay
    // retries its batch, a dead letter is retried in place.
    retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 10 },
    allowAutoTopicCreation: false,
    // murmur2, the same partition for a key as the Java client picks
    createPartitioner: () => {
      const murmur2 = Partitioners.DefaultPartitioner();
      return (args) => {
        const partition = murmur2(args);
        chosen.set(args.message, partition);
        return partition;
      };
    },
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
      if (records.length === 0) return [];
      // each message's record, by index (a re-sent copy included), to hand its placement back
      const indexOf = new Map<Message, number>();
      const placements: Placement[] = new Array(records.length);
      let batch = byTopic(records, indexOf).map(([topic, messages]) => ({ topic: client.physical(topic), messages }));
      for (let resends = 0; ; resends++) {
        const response = await producer.sendBatch({ acks: -1, topicMessages: batch });
        placeAcknowledged(
          batch,
          (m) => chosen.get(m),
          response,
          (m, p) => (placements[indexOf.get(m)!] = p),
        );
        const missing = unacknowledged(batch, (m) => chosen.get(m), response);
        if (missing.length === 0) return placements;
        const where = missing.map((m) => `${client.logical(m.topic)}/${m.partition ?? "?"}`).join(", ");
        if (resends >= MAX_RESENDS)
          throw Object.assign(new Error(`send acknowledged without ${where} after ${resends} re-sends`), {
            retriable: true,
          });
        client.logger.warn(
          { partitions: where },
          "send resolved without acknowledging every partition; re-sending those records",
        );
        // only what was not produced, pinned to the partition it was meant for (order per partition holds)
        batch = missing.map((m) => ({
          topic: m.topic,
          messages: m.messages.map((msg) => {
            if (m.partition === undefined) return msg;
            const pinned = { ...msg, partition: m.partition };
            indexOf.set(pinned, indexOf.get(msg)!);
            return pinned;
          }),
        }));
      }
    },
    async disconnect() {
      await producer.disconnect();
      connected = false;
    },
    isConnected: () => connected,
  };
}
