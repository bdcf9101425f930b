// Run inside the scratch project (npm-installed tarball, kafkajs of its own): produce Orderflow
// events the way a producer does, read them back from the broker and decode them (ESM), and
// write the raw records (value + headers as the broker returned them) for the other decoders.
//   node roundtrip.mjs <brokers> <topic prefix> <out.json>
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import {
  CONTENT_TYPE_JSON,
  createEvent,
  decodeEvent,
  eventHeaders,
  HEADERS,
  keyOf,
  topicOf,
} from "@orderflow/contracts";
import kafkajs from "kafkajs";

const [brokers = "127.0.0.1:19092", prefix = `kit-${randomUUID().slice(0, 8)}.`, out = "records.json"] =
  process.argv.slice(2);
const kafka = new kafkajs.Kafka({
  clientId: "contracts-consumer-kit",
  brokers: brokers.split(","),
  logLevel: kafkajs.logLevel.NOTHING,
});

const orderId = randomUUID();
const placed = createEvent(
  "OrderPlaced",
  {
    orderId,
    customerId: "team-b-customer",
    items: [{ sku: "SKU-1", quantity: 2, unitPrice: 1250 }],
    currency: "EUR",
    totalAmount: 2500,
    shippingAddress: { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
    shippingSpeed: "EXPRESS",
  },
  {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    correlationId: `corr-${orderId}`,
    causationId: null,
    source: "consumer-kit",
  },
);
// the same event as a producer one minor version ahead would send it: one field this version
// does not know, in the envelope and in data. Every reader must accept it.
const newer = { ...placed, id: randomUUID(), traceState: "x", data: { ...placed.data, giftWrap: true } };

const topic = `${prefix}${topicOf(placed.type)}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
const producer = kafka.producer();
await producer.connect();
const send = (e) => ({
  key: keyOf(e),
  value: JSON.stringify(e),
  headers: { ...eventHeaders(e), [HEADERS.traceparent]: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
});
await producer.send({ topic, acks: -1, messages: [send(placed), send(newer)] });
await producer.disconnect();

const consumer = kafka.consumer({ groupId: `${prefix}kit` });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const records = [];
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("timed out reading the records back")), 30_000);
  consumer
    .run({
      eachMessage: async ({ message, partition }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        const decoded = decodeEvent(message.value, "order-events"); // bytes → validated, upcast event
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString("utf8") ?? null,
          value: message.value?.toString("utf8") ?? null,
          headers,
          esm: decoded.ok
            ? {
                ok: true,
                id: decoded.event.id,
                type: decoded.event.type,
                version: decoded.event.version,
                dataKeys: Object.keys(decoded.event.data).sort(),
              }
            : { ok: false, reason: decoded.reason, message: decoded.message },
        });
        if (records.length === 2) clearTimeout(timer), resolve();
      },
    })
    .catch(reject);
});
await consumer.disconnect();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.deleteGroups([`${prefix}kit`]).catch(() => undefined);
await admin.disconnect();
fs.writeFileSync(
  out,
  JSON.stringify({ sent: [placed.id, newer.id], contentType: CONTENT_TYPE_JSON, records }, null, 2),
);
console.log(JSON.stringify({ topic, records: records.length }));
