import { Router } from "express";
import type { Registry } from "prom-client";

export interface ReadinessCheck {
  name: string;
  check(): Promise<void> | void;
}

const CHECK_TIMEOUT_MS = 2000;

async function run(c: ReadinessCheck): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => c.check()),
      new Promise((_, reject) => {
        // a hung dependency must not hang the probe
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz (the process is alive), /readyz (its dependencies answer), /metrics. */
export function healthRouter(opts: { checks: ReadinessCheck[]; registry?: Registry }): Router {
  const r = Router();
  r.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  r.get("/readyz", async (_req, res) => {
    const results = await Promise.all(opts.checks.map(async (c) => [c.name, await run(c)] as const));
    const ready = results.every(([, v]) => v.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not-ready", checks: Object.fromEntries(results) });
  });
  if (opts.registry) {
    const registry = opts.registry;
    r.get("/metrics", async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  return r;
}
