// The page under `pnpm dev` (OPS_PAGE=vite): Vite's dev server in middleware mode inside the
// console's own express server, so the page, its API, /metrics and /readyz stay on one port
// (3005) and the page reloads on edit. Vite is a devDependency: only this mode loads it.
import { fileURLToPath } from "node:url";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { Logger as ViteLogger } from "vite";

export interface DevPage {
  handler: RequestHandler;
  close(): Promise<void>;
}

/** Vite's messages (rebuilds, reloads, compile errors) as the console's own JSON log lines */
function viteLogger(log: Logger): ViteLogger {
  const child = log.child({ component: "vite" });
  const warned = new Set<string>();
  const errors = new WeakSet<object>();
  const logger: ViteLogger = {
    hasWarned: false,
    info: (msg) => child.info(msg),
    warn: (msg) => {
      logger.hasWarned = true;
      child.warn(msg);
    },
    warnOnce: (msg) => {
      if (warned.has(msg)) return;
      warned.add(msg);
      logger.warn(msg);
    },
    error: (msg, opts) => {
      if (opts?.error) errors.add(opts.error);
      child.error({ err: opts?.error }, msg);
    },
    clearScreen: () => {},
    hasErrorLogged: (e) => errors.has(e),
  };
  return logger;
}

/** `hmrPort`: where the page's reload websocket listens (Vite's usual port unless a test says) */
export async function createVitePage(log: Logger, hmrPort = 24678): Promise<DevPage> {
  const { createServer } = await import("vite");
  const vite = await createServer({
    // web/vite.config.ts from src/http (tsx) and from dist/http (node) alike
    configFile: fileURLToPath(new URL("../../web/vite.config.ts", import.meta.url)),
    // no `hmr.server`: the reload websocket listens on Vite's own port, since the console's HTTP
    // server is created later, by service-kit's serve()
    server: { middlewareMode: true, hmr: { port: hmrPort } },
    appType: "spa",
    customLogger: viteLogger(log),
  });
  return { handler: vite.middlewares, close: () => vite.close() };
}
