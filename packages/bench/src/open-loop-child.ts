// load.ts's open loop of keyed POSTs in a process of its own (openLoopInChild): argv[2] is its
// settings as JSON; it prints openLoop's result as JSON.
import { jsonPost, openLoop, withIdempotencyKey } from "./load.js";

const o = JSON.parse(process.argv[2]!) as {
  url: string;
  body: unknown;
  headers: Record<string, string>;
  ratePerSecond: number;
  durationMs: number;
};
const result = await openLoop(
  jsonPost(o.url, () => o.body, withIdempotencyKey(o.headers)),
  o,
);
process.stdout.write(JSON.stringify(result));
