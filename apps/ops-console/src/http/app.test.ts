import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer } from "node:net";
import { authSettings, LOCAL_DEV_AUTH } from "@orderflow/config";
import type { HistoryChart, HistoryChartName } from "@orderflow/http-api/ops-console";
import { createMetrics } from "@orderflow/observability";
import { createVerifier, signToken } from "@orderflow/service-kit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Console } from "../console.js";
import { loadEnv } from "../env.js";
import { createApp, type AppDeps } from "./app.js";
import { createVitePage, type DevPage } from "./vite-page.js";

const token = await signToken(LOCAL_DEV_AUTH, { subject: "ada", scopes: ["ops"], ttlSeconds: 600 });
const auth = { authorization: `Bearer ${token}` };
const charts: Partial<Record<HistoryChartName, HistoryChart>> = {
  "consumer-lag": { status: "ok", chart: "consumer-lag", timestamps: [0, 5], stepSeconds: 5, series: [] },
  "outbox-age": { status: "unavailable", chart: "outbox-age", reason: "Prometheus at http://x did not answer" },
};

function deps(extra: Partial<AppDeps> = {}): AppDeps {
  return {
    console: {} as Console, // the routes under test never reach it
    history: { chart: async (name) => charts[name] ?? { status: "unconfigured", chart: name, reason: "none" } },
    log: pino({ level: "silent" }),
    registry: createMetrics("ops-console-test").registry,
    verify: createVerifier(authSettings(loadEnv({}))),
    webDir: "/nonexistent",
    readiness: [],
    ...extra,
  };
}

async function listen(app: ReturnType<typeof createApp>): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("GET /api/history/:chart", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => ({ server, url } = await listen(createApp(deps()))));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("answers the named chart, and a Prometheus that is down as a 200 the page can show", async () => {
    const ok = await fetch(`${url}/api/history/consumer-lag`, { headers: auth });
    expect([ok.status, ok.headers.get("cache-control")]).toEqual([200, "no-store"]);
    expect(await ok.json()).toEqual(charts["consumer-lag"]);
    const down = await fetch(`${url}/api/history/outbox-age`, { headers: auth });
    expect(down.status).toBe(200);
    expect(await down.json()).toMatchObject({ status: "unavailable", reason: expect.stringMatching(/did not answer/) });
  });

  it("refuses a chart it does not know (no PromQL from outside), and anyone without the ops scope", async () => {
    const unknown = await fetch(`${url}/api/history/${encodeURIComponent("up{job='x'}")}`, { headers: auth });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(["chart"]);
    expect((await fetch(`${url}/api/history/consumer-lag`)).status).toBe(401);
  });

  it("keeps the built page's strict content security policy: no inline script or style", async () => {
    const csp = (await fetch(`${url}/api/history/consumer-lag`, { headers: auth })).headers.get(
      "content-security-policy",
    );
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).not.toMatch(/unsafe-inline/);
  });
});

/** a port nobody listens on now, for the dev page's reload websocket */
async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("the page under `pnpm dev` (OPS_PAGE=vite)", () => {
  let page: DevPage;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    page = await createVitePage(pino({ level: "silent" }), await freePort());
    ({ server, url } = await listen(createApp(deps({ devPage: page.handler }))));
  }, 30_000);
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await page.close();
  });

  it("serves index.html from web/ with Vite's client, which reloads the page on edit", async () => {
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('<script type="module" src="/@vite/client"></script>');
    expect(html).toContain('src="/src/main.tsx"');
    // the inline React-refresh preamble and Vite's injected styles are allowed in dev only
    expect(r.headers.get("content-security-policy")).toMatch(/script-src 'self' 'unsafe-inline'/);
  });

  it("compiles the page's source on request, with React's hot refresh", async () => {
    const r = await fetch(`${url}/src/HistoryView.tsx`);
    expect(r.status).toBe(200);
    const js = await r.text();
    expect(js).toMatch(/\/api\/history\//);
    expect(js).toMatch(/import\.meta\.hot|RefreshRuntime|\$RefreshReg\$/);
  });

  it("still answers the API and health itself, before the page", async () => {
    expect((await fetch(`${url}/api/history/consumer-lag`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${url}/api/history/consumer-lag`)).status).toBe(401);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
