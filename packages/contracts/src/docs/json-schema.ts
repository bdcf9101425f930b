// JSON Schema of every event type and version, generated from the zod schemas: for consumers in
// other languages and for the compatibility gate. Two audiences, two schemas per event:
//   reader    what a conforming reader must accept: the zod reader's *input*. Unknown fields are
//             allowed wherever the zod object allows them (z.object strips them), so one added
//             optional field never makes a Java or Python consumer refuse a record.
//   producer  what a producer may send: the zod *output*, closed (`additionalProperties: false`),
//             so a producer's own test catches a misspelt or unannounced field.
import { z } from "zod";
import { EVENT_DEFINITIONS } from "../registry.js";

export type JsonSchema = Record<string, unknown>;
export type Audience = "reader" | "producer";

export function schemaId(type: string, version: number): string {
  return `${type}.v${version}`;
}

/** Where each audience's schemas live in the package (`generated/<dir>/<Type>.v<version>.json`),
 *  and the subpath that exports them. The reader folder keeps its historical name. */
export const SCHEMA_DIRS: Record<Audience, string> = { reader: "json-schema", producer: "json-schema-producer" };

// A zod object that strips unknown keys says nothing about them in input mode; say it out loud,
// so whoever reads the file (or generates classes from it) sees that unknown fields are allowed.
const sayUnknownFieldsAllowed = (ctx: { jsonSchema: Record<string, unknown>; zodSchema: unknown }) => {
  if (
    ctx.zodSchema instanceof z.ZodObject &&
    ctx.jsonSchema.type === "object" &&
    ctx.jsonSchema.additionalProperties === undefined
  ) {
    ctx.jsonSchema.additionalProperties = true;
  }
};

/** draft 2020-12 by default; AsyncAPI 3 payloads use draft-07. Readers' schemas by default. */
export function eventJsonSchemas(
  target: "draft-2020-12" | "draft-7" = "draft-2020-12",
  audience: Audience = "reader",
): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const d of [...EVENT_DEFINITIONS].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version)) {
    const schema = (
      audience === "reader"
        ? z.toJSONSchema(d.schema, { target, io: "input", override: sayUnknownFieldsAllowed })
        : z.toJSONSchema(d.schema, { target, io: "output" })
    ) as JsonSchema;
    const where = `Orderflow event ${d.type}, version ${d.version}, on topic ${d.topic} (key: orderId)`;
    out[schemaId(d.type, d.version)] =
      audience === "reader"
        ? {
            ...schema,
            title: `${d.type} v${d.version}`,
            description: `${where}. Reader schema: what a consumer must accept; unknown fields are allowed (ignore them). Producers: see ${SCHEMA_DIRS.producer}/.`,
          }
        : {
            ...schema,
            title: `${d.type} v${d.version} (producer)`,
            description: `${where}. Producer schema: exactly the fields of this version, nothing else. Consumers validate with ${SCHEMA_DIRS.reader}/ instead.`,
          };
  }
  return out;
}
