// Open-loop POST /orders generator that records, per request, when it was due, when it was
// handed to node:http, when its answer ended, and its correlation id, plus this process's own
// event-loop delay and GC pauses. Used in-process by orders-probe.ts, or as a child process
// (argv: url rate durationMs) printing its records as JSON.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

export interface Rec {
  due: number;
  sent: number;
  done: number;
  status: number;
  cid: string;
}

export interface GenResult {
  recs: Rec[];
  loopDelayMs: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number };
}

export async function generate(
  url: string,
  rate: number,
  durationMs: number,
  body: () => unknown,
  authorization: string,
): Promise<GenResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const u = new URL(url);
  const h = monitorEventLoopDelay({ resolution: 1 });
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  h.enable();
  const interval = 1000 / rate;
  const total = Math.floor((durationMs / 1000) * rate);
  const recs: Rec[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const cid = randomUUID();
    const sent = performance.now();
    inFlight.push(
      new Promise<void>((resolve) => {
        const data = JSON.stringify(body());
        const req = http.request(
          {
            agent,
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: "POST",
            headers: {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(data),
              authorization,
              "idempotency-key": randomUUID(),
              "correlation-id": cid,
            },
          },
          (res) => {
            res.resume();
            res.once("end", () => {
              recs.push({ due, sent, done: performance.now(), status: res.statusCode ?? 0, cid });
              resolve();
            });
          },
        );
        req.once("error", () => {
          recs.push({ due, sent, done: performance.now(), status: 0, cid });
          resolve();
        });
        req.end(data);
      }),
    );
  }
  await Promise.all(inFlight);
  h.disable();
  obs.disconnect();
  agent.destroy();
  return {
    recs,
    loopDelayMs: { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 },
    gc,
  };
}

if (process.argv[1]?.endsWith("open-loop-gen.ts") && process.argv.length >= 5) {
  const [url, rate, durationMs, authorization] = process.argv.slice(2);
  const { anOrder } = await import("@orderflow/system-tests/harness");
  const r = await generate(url!, Number(rate), Number(durationMs), () => anOrder(), authorization!);
  process.stdout.write(JSON.stringify(r));
}
