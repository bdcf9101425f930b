// CommonJS: require() of the package (ESM, loaded through Node's require(esm)), zod shared with
// the caller's own require("zod"), and the JSON Schemas through the exports map.
//   node decode.cjs <records.json>
const fs = require("node:fs");
const { decodeEvent, eventDefinition, HEADERS } = require("@orderflow/contracts");
const { z } = require("zod");

const { records } = JSON.parse(fs.readFileSync(process.argv[2] ?? "records.json", "utf8"));
const decoded = records.map((r) => {
  const d = decodeEvent(r.value, "order-events");
  return d.ok
    ? {
        ok: true,
        id: d.event.id,
        type: d.event.type,
        version: d.event.version,
        header: r.headers[HEADERS.eventType],
        dataKeys: Object.keys(d.event.data).sort(),
      }
    : { ok: false, reason: d.reason, message: d.message };
});
const schema = eventDefinition("OrderPlaced", 2).schema;
const readerSchema = require("@orderflow/contracts/json-schema/OrderPlaced.v2.json");
console.log(
  JSON.stringify({ decoded, zodInstance: schema instanceof z.ZodType, readerSchemaTitle: readerSchema.title }),
);
