// HTTP load for the benchmarks: a closed loop (N workers, each waits for its answer) finds the
// throughput; an open loop (requests started on a fixed schedule, whether or not earlier ones
// answered) measures latency at a given rate without coordinated omission.
import { percentiles } from "./stats.js";

export type Request = () => Promise<Response>;

export async function closedLoop(req: Request, opts: { concurrency: number; durationMs: number }): Promise<{ ok: number; failed: number; perSecond: number }> {
  const until = Date.now() + opts.durationMs;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (Date.now() < until) {
        try {
          const r = await req();
          await r.arrayBuffer();
          if (r.status < 300) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok, failed, perSecond: ok / ((performance.now() - started) / 1000) };
}

export async function openLoop(req: Request, opts: { ratePerSecond: number; durationMs: number }): Promise<{ ok: number; failed: number; latencyMs: ReturnType<typeof percentiles> }> {
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
        async (r) => {
          await r.arrayBuffer();
          if (r.status < 300) latencies.push(performance.now() - due);
          else failed++;
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  return { ok: latencies.length, failed, latencyMs: percentiles(latencies) };
}
