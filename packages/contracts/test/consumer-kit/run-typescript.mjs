// Runs the compiled NodeNext output of consumer.ts (ESM) and consumer.cts (CommonJS) on the records.
//   node run-typescript.mjs <records.json>
import fs from "node:fs";
import { createRequire } from "node:module";
import { handle as handleEsm } from "./out/consumer.js";

const { handle: handleCjs } = createRequire(import.meta.url)("./out/consumer.cjs");
const { records } = JSON.parse(fs.readFileSync(process.argv[2] ?? "records.json", "utf8"));
console.log(
  JSON.stringify(records.map((r) => ({ esm: handleEsm(r.value, r.headers), cjs: handleCjs(r.value, r.headers) }))),
);
