// The page under `pnpm dev` (OPS_PAGE=vite): Vite's dev server in middleware mode inside the
// console's own express server, so the page, its API, /metrics and /readyz stay on one port
// (3005) and the page reloads on edit. Vite is a devDependency: only this mode loads it.
import { fileURLToPath } from "node:url";
import type { RequestHandler } from "express";

export interface DevPage {
  handler: RequestHandler;
  close(): Promise<void>;
}

/** `hmrPort`: where the page's reload websocket listens (Vite's usual port unless a test says) */
export async function createVitePage(hmrPort = 24678): Promise<DevPage> {
  const { createServer } = await import("vite");
  const vite = await createServer({
    // web/vite.config.ts from src/http (tsx) and from dist/http (node) alike
    configFile: fileURLToPath(new URL("../../web/vite.config.ts", import.meta.url)),
    // no `hmr.server`: the reload websocket listens on Vite's own port (24678), since the
    // console's HTTP server is created later, by service-kit's serve()
    server: { middlewareMode: true, hmr: { port: hmrPort } },
    appType: "spa",
    clearScreen: false,
  });
  return { handler: vite.middlewares, close: () => vite.close() };
}
