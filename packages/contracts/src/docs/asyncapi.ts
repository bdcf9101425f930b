// The AsyncAPI 3 document of every topic, message, key and header, from the same zod source.
import { HEADERS } from "../headers.js";
import { EVENT_DEFINITIONS, LATEST_DEFINITIONS } from "../registry.js";
import { SUBSCRIPTIONS, TOPICS } from "../topics.js";
import { eventJsonSchemas, SCHEMA_DIRS, schemaId, type JsonSchema } from "./json-schema.js";

const KAFKA_BINDING = "0.5.0";

const HEADER_SCHEMA: JsonSchema = {
  type: "object",
  description: "Kafka record headers (UTF-8 strings)",
  properties: {
    [HEADERS.eventId]: {
      type: "string",
      format: "uuid",
      description: "the event's id (uuid v7); consumers deduplicate by it",
    },
    [HEADERS.eventType]: { type: "string", description: "the event type, e.g. OrderPlaced" },
    [HEADERS.eventVersion]: { type: "string", pattern: "^[0-9]+$", description: "the event type's version" },
    [HEADERS.correlationId]: { type: "string", description: "the same for every event caused by one request" },
    [HEADERS.causationId]: { type: "string", description: "the id of the event or request that caused this one" },
    [HEADERS.source]: { type: "string", description: "the producing service" },
    [HEADERS.traceparent]: { type: "string", description: "W3C trace context" },
    [HEADERS.contentType]: { type: "string", const: "application/json" },
  },
  required: [HEADERS.eventId, HEADERS.eventType, HEADERS.eventVersion, HEADERS.correlationId, HEADERS.source],
};

const camel = (s: string) => s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

export function asyncApiDocument(version: string): Record<string, unknown> {
  const { channels, operations } = channelsAndOperations();
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Orderflow events",
      version,
      description:
        "Every Kafka topic of Orderflow, the events it carries, their key and headers. Generated from @orderflow/contracts; do not edit.",
    },
    defaultContentType: "application/json",
    channels,
    operations,
    components: { messages: messagesOf() },
  };
}

/** One message per event type and version, keyed by its schema id. */
function messagesOf(): Record<string, unknown> {
  // the readers' schemas: a consumer generated from this document accepts unknown fields
  const payloads = eventJsonSchemas("draft-7", "reader");
  const messages: Record<string, unknown> = {};
  for (const d of EVENT_DEFINITIONS) {
    const id = schemaId(d.type, d.version);
    const { $schema: _drop, ...payload } = payloads[id]!;
    const latest = LATEST_DEFINITIONS.some((l) => l.type === d.type && l.version === d.version);
    messages[id] = {
      name: d.type,
      title: `${d.type} v${d.version}`,
      summary: latest
        ? `${d.type}, newest version: producers publish it`
        : `${d.type}, older version: still readable, upcast to the newest on read`,
      description: `Payload: the reader schema (also ${SCHEMA_DIRS.reader}/${id}.json in the package, draft 2020-12), which allows unknown fields. Producers validate with ${SCHEMA_DIRS.producer}/${id}.json.`,
      contentType: "application/json",
      "x-reader-schema": `@orderflow/contracts/${SCHEMA_DIRS.reader}/${id}.json`,
      "x-producer-schema": `@orderflow/contracts/${SCHEMA_DIRS.producer}/${id}.json`,
      headers: HEADER_SCHEMA,
      payload,
      bindings: {
        kafka: {
          key: {
            type: "string",
            format: "uuid",
            description: "the order id: all of an order's events share a partition",
          },
          bindingVersion: KAFKA_BINDING,
        },
      },
    };
  }
  return messages;
}

/** A channel per topic with its publish operation, then a receive operation per subscription:
 *  the operations keep that order in the document. */
function channelsAndOperations(): { channels: Record<string, unknown>; operations: Record<string, unknown> } {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const t of Object.values(TOPICS)) {
    const onTopic = EVENT_DEFINITIONS.filter((d) => d.topic === t.name);
    channels[t.name] = {
      address: t.name,
      description: t.description,
      messages: Object.fromEntries(
        onTopic.map((d) => [
          schemaId(d.type, d.version),
          { $ref: `#/components/messages/${schemaId(d.type, d.version)}` },
        ]),
      ),
      bindings: {
        kafka: {
          topic: t.name,
          partitions: t.partitions,
          topicConfiguration: { "retention.ms": t.retentionMs },
          bindingVersion: KAFKA_BINDING,
        },
      },
    };
    const latestOnTopic = onTopic.filter((d) =>
      LATEST_DEFINITIONS.some((l) => l.type === d.type && l.version === d.version),
    );
    operations[`publish${camel(`-${t.name}`)}`] = {
      action: "send",
      summary: `The owning service publishes (through its outbox) to ${t.name}, key = ${t.key}`,
      channel: { $ref: `#/channels/${t.name}` },
      messages: latestOnTopic.map((d) => ({ $ref: `#/channels/${t.name}/messages/${schemaId(d.type, d.version)}` })),
    };
  }
  for (const s of SUBSCRIPTIONS) {
    for (const topic of s.topics) {
      operations[`${camel(s.group)}Consumes${camel(`-${topic}`)}`] = {
        action: "receive",
        summary: `Consumer group ${s.group} (${s.service} service) reads ${topic}; failures go to ${topic}.${s.group}.dlt`,
        channel: { $ref: `#/channels/${topic}` },
        bindings: { kafka: { groupId: { type: "string", const: s.group }, bindingVersion: KAFKA_BINDING } },
      };
    }
  }
  return { channels, operations };
}
