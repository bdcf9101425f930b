// HTTP load for the benchmarks: a closed loop (N workers, each waits for its answer) finds the
// throughput; an open loop (requests started on a fixed schedule, whether or not earlier ones
// answered) measures latency at a given rate without coordinated omission.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { percentiles } from "./stats.js";

/** one request; resolves with its status once the body is read */
export type Request = () => Promise<number>;

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Request headers: the same on every request, or made per request (a fresh Idempotency-Key). */
export type RequestHeaders = Record<string, string> | (() => Record<string, string>);

/** `headers` and a fresh Idempotency-Key on every request, as a client sends one per order it places
 *  (a retry of that order would send the same key again). */
export const withIdempotencyKey = (headers: Record<string, string>) => (): Record<string, string> => ({
  ...headers,
  "idempotency-key": randomUUID(),
});

/** POST `body` as JSON over kept-alive node:http connections: several times cheaper per request
 *  than fetch, which matters when the load generator shares two cores with what it measures. */
export function jsonPost(url: string, body: () => unknown, headers: RequestHeaders): Request {
  const u = new URL(url);
  return () =>
    new Promise<number>((resolve, reject) => {
      const data = JSON.stringify(body());
      const extra = typeof headers === "function" ? headers() : headers;
      const req = http.request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), ...extra },
        },
        (res) => {
          res.resume();
          res.once("end", () => resolve(res.statusCode ?? 0));
          res.once("error", reject);
        },
      );
      req.once("error", reject);
      req.end(data);
    });
}

export async function closedLoop(
  req: Request,
  opts: { concurrency: number; durationMs: number },
): Promise<{ ok: number; failed: number; perSecond: number }> {
  const until = Date.now() + opts.durationMs;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (Date.now() < until) {
        try {
          const status = await req();
          if (status < 300) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok, failed, perSecond: ok / ((performance.now() - started) / 1000) };
}

export async function openLoop(
  req: Request,
  opts: { ratePerSecond: number; durationMs: number },
): Promise<{ ok: number; failed: number; latencyMs: ReturnType<typeof percentiles> }> {
  const interval = 1000 / opts.ratePerSecond;
  const total = Math.floor((opts.durationMs / 1000) * opts.ratePerSecond);
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // latency counts from when the request was due, not when it could be sent
    inFlight.push(
      req().then(
        (status) => {
          if (status < 300) latencies.push(performance.now() - due);
          else failed++;
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  return { ok: latencies.length, failed, latencyMs: percentiles(latencies) };
}

/** openLoop of keyed JSON POSTs (a fresh Idempotency-Key each) in a process of its own: in the
 *  bench's process the requests were sent and timed on the event loop and heap that also parse and
 *  hold every service's log lines, and that process's pauses were counted as the service's latency. */
export async function openLoopInChild(
  url: string,
  opts: { body: unknown; headers: Record<string, string>; ratePerSecond: number; durationMs: number },
): Promise<Awaited<ReturnType<typeof openLoop>>> {
  const child = fileURLToPath(new URL("./open-loop-child.ts", import.meta.url));
  const r = await run(process.execPath, [
    "--import",
    import.meta.resolve("tsx"),
    child,
    JSON.stringify({ url, ...opts }),
  ]);
  if (r.status !== 0) throw new Error(`open-loop child failed (${r.status}): ${r.stderr}${r.error?.message ?? ""}`);
  return JSON.parse(r.stdout) as Awaited<ReturnType<typeof openLoop>>;
}

/** A closed loop of `concurrency` connections from wrk (C, one thread): a Node.js load generator
 *  on the same two cores capped POST /orders at ~450 req/s whatever answered (a bare node:http
 *  server included), so throughput is measured with wrk. Every answer must be 2xx. With
 *  `idempotencyKeys` every request carries a key of its own: this run's id, wrk's thread number
 *  and a counter, built by a Lua request() per request (a key used twice would be answered from
 *  the stored first answer, not placed). */
export async function wrkClosedLoop(
  url: string,
  opts: {
    body: unknown;
    headers: Record<string, string>;
    idempotencyKeys?: boolean;
    concurrency: number;
    durationMs: number;
  },
): Promise<number> {
  const script = path.join(os.tmpdir(), `orderflow-bench-${randomUUID()}.lua`);
  const lua = [
    `wrk.method = "POST"`,
    `wrk.body = ${luaString(JSON.stringify(opts.body))}`,
    ...Object.entries({ "content-type": "application/json", ...opts.headers }).map(
      ([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`,
    ),
    ...(opts.idempotencyKeys ? wrkIdempotencyKeys(randomUUID()) : []),
  ].join("\n");
  fs.writeFileSync(script, lua);
  try {
    // not spawnSync: this process must keep reading the services' logs meanwhile, or a service
    // blocks writing them to a full pipe and wrk measures that
    const r = await run("wrk", [
      "-t1",
      `-c${opts.concurrency}`,
      `-d${Math.round(opts.durationMs / 1000)}s`,
      "-s",
      script,
      url,
    ]);
    if (r.error)
      throw new Error(`pnpm bench needs wrk for HTTP throughput (Debian: apt-get install wrk): ${r.error.message}`);
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
    const bad = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
    if (r.status !== 0 || !rate) throw new Error(`wrk failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    if (bad) throw new Error(`wrk: ${bad[1]} answers were not 2xx:\n${r.stdout}`);
    return Number(rate[1]);
  } finally {
    fs.rmSync(script, { force: true });
  }
}

function run(
  cmd: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    p.once("error", (error) => resolve({ status: null, stdout, stderr, error }));
    p.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** wrk's Lua: setup() runs once per thread in the main state and hands each thread its number;
 *  request() runs per request in the thread's own state, so the counter is the thread's. */
const wrkIdempotencyKeys = (run: string) => [
  `local run = ${luaString(run)}`,
  `local threads = 0`,
  `function setup(thread)`,
  `  threads = threads + 1`,
  `  thread:set("thread_number", threads)`,
  `end`,
  `local sent = 0`,
  `function request()`,
  `  sent = sent + 1`,
  `  wrk.headers["idempotency-key"] = run .. "-" .. thread_number .. "-" .. sent`,
  `  return wrk.format()`,
  `end`,
];

const luaString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
