// Any language's way in: a plain JSON Schema validator (ajv, draft 2020-12), the schema chosen by
// the record's headers. No Orderflow code runs here.
//   node decode-json-schema.mjs <records.json>
import fs from "node:fs";
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const require = createRequire(import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const schemaFor = (dir, type, version) =>
  JSON.parse(fs.readFileSync(require.resolve(`@orderflow/contracts/${dir}/${type}.v${version}.json`), "utf8"));

const { records } = JSON.parse(fs.readFileSync(process.argv[2] ?? "records.json", "utf8"));
const results = records.map((r) => {
  const type = r.headers["event-type"];
  const version = r.headers["event-version"];
  const value = JSON.parse(r.value);
  const reader = ajv.compile(schemaFor("json-schema", type, version));
  const producer = ajv.compile(schemaFor("json-schema-producer", type, version));
  const readerOk = reader(value);
  return {
    id: r.headers["event-id"],
    type,
    version,
    reader: readerOk,
    readerErrors: readerOk ? [] : ajv.errorsText(reader.errors),
    producer: producer(value),
  };
});
console.log(JSON.stringify(results));
