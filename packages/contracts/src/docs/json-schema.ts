// JSON Schema of every event type and version, generated from the zod schemas: for consumers in
// other languages and for the compatibility gate.
import { z } from "zod";
import { EVENT_DEFINITIONS } from "../registry.js";

export type JsonSchema = Record<string, unknown>;

export function schemaId(type: string, version: number): string {
  return `${type}.v${version}`;
}

/** draft 2020-12 by default; AsyncAPI 3 payloads use draft-07 */
export function eventJsonSchemas(target: "draft-2020-12" | "draft-7" = "draft-2020-12"): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const d of [...EVENT_DEFINITIONS].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version)) {
    const schema = z.toJSONSchema(d.schema, { target, io: "output" }) as JsonSchema;
    out[schemaId(d.type, d.version)] = { ...schema, title: `${d.type} v${d.version}`, description: `Orderflow event ${d.type}, version ${d.version}, on topic ${d.topic} (key: orderId)` };
  }
  return out;
}
