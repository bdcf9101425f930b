import { z } from "zod";

/** Fields every event carries around its `data`. */
export const EnvelopeMeta = z.object({
  /** uuid v7: time-ordered, unique per event; consumers deduplicate by it */
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  /** the order id for every event today; also the Kafka record key */
  aggregateId: z.string().min(1),
  /** the same for every event caused, directly or not, by one request */
  correlationId: z.string().min(1).max(200),
  /** id of the event (or request) that caused this one; null for the first of a chain */
  causationId: z.string().min(1).max(200).nullable(),
  /** the service that produced the event */
  source: z.string().min(1).max(100),
});
export type EnvelopeMeta = z.infer<typeof EnvelopeMeta>;

/** The untyped shape, used to route a record to the schema of its type and version. */
export const AnyEnvelope = EnvelopeMeta.extend({ data: z.unknown() });

export function envelopeOf<T extends string, V extends number, D extends z.ZodType>(type: T, version: V, data: D) {
  return EnvelopeMeta.extend({
    type: z.literal(type),
    version: z.literal(version),
    data,
  });
}
