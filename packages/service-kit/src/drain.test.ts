// The drain a stopping service goes through, on a real HTTP server on an ephemeral port: readiness
// turns 503 at once, requests are still served until the drain is over, then new connections are
// refused while the request in flight still gets its answer, and only then do the steps run.
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { createMetrics } from "@orderflow/observability";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createServiceApp } from "./app.js";
import { drainableServer, type DrainableServer } from "./drain.js";
import { shutDown } from "./shutdown.js";

const log = pino({ level: "silent" });

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** an app with a request that answers only once the test releases it */
function slowApp() {
  const release = deferred();
  let entered = false;
  const app = createServiceApp(
    { log, registry: createMetrics("test").registry, readiness: [{ name: "database", check: () => {} }] },
    (a) => {
      a.get("/orders", (_req, res) => {
        res.json({ items: [] });
      });
      a.get("/slow", async (_req, res) => {
        entered = true;
        await release.promise;
        res.json({ done: true });
      });
    },
  );
  return { app, release, entered: () => entered };
}

type Answer = { status: number; connection: string | undefined; body: unknown };

function get(port: number, path: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(body) }),
        );
      })
      .on("error", reject);
  });
}

/** "connected", or the error code of a new TCP connection to the port */
function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

let server: DrainableServer | undefined;
const agents: http.Agent[] = [];
afterEach(() => {
  if (server?.server.listening) server.server.close();
  server?.server.closeAllConnections();
  for (const a of agents.splice(0)) a.destroy();
  vi.useRealTimers();
});

async function listening(app: http.RequestListener): Promise<{ port: number; agent: http.Agent }> {
  server = drainableServer(app);
  const s = server.server;
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  agents.push(agent);
  return { port: (s.address() as AddressInfo).port, agent };
}

describe("the drain on shutdown", () => {
  it("answers /readyz 503 at once, serves requests through the drain, then refuses new connections and finishes the request in flight before the steps run", async () => {
    const { app, release, entered } = slowApp();
    const { port, agent } = await listening(app);
    expect(await get(port, "/readyz", agent)).toMatchObject({ status: 200, connection: "keep-alive" });
    const inFlight = get(port, "/slow", agent);
    await vi.waitFor(() => expect(entered(), "the slow request reached its handler").toBe(true));

    const drainOver = deferred();
    const delays: number[] = [];
    const happened: string[] = [];
    const done = shutDown(
      {
        log,
        drainMs: 5000,
        server: server!,
        delay: (ms) => {
          delays.push(ms);
          return drainOver.promise;
        },
      },
      [async () => happened.push("consumers stopped")],
      () => happened.push("drain over"),
    );

    // during the drain: not ready, still alive, still serving, and each answer closes its connection
    expect(await get(port, "/readyz", agent)).toEqual({
      status: 503,
      connection: "close",
      body: { status: "draining", checks: {} },
    });
    expect(await get(port, "/healthz", agent)).toMatchObject({ status: 200, connection: "close" });
    expect(await get(port, "/orders", agent)).toEqual({ status: 200, connection: "close", body: { items: [] } });
    expect(delays).toEqual([5000]);
    expect(happened).toEqual([]);

    drainOver.resolve();
    await vi.waitFor(async () => expect(await connect(port)).toBe("ECONNREFUSED"));
    expect(happened, "the steps wait for the request in flight").toEqual(["drain over"]);

    release.resolve();
    // begun before the drain, it is answered, and told to close its keep-alive connection
    expect(await inFlight).toEqual({ status: 200, connection: "close", body: { done: true } });
    await done;
    expect(happened).toEqual(["drain over", "consumers stopped"]);
  });

  it("with no drain delay closes at once, as local runs and tests want", async () => {
    const { app } = slowApp();
    const { port, agent } = await listening(app);
    expect((await get(port, "/orders", agent)).status).toBe(200);
    const delay = vi.fn(async () => {});
    await shutDown({ log, drainMs: 0, server: server!, delay }, []);
    expect(delay).not.toHaveBeenCalled();
    expect(await connect(port)).toBe("ECONNREFUSED");
  });

  it("waits drainMs before it closes the server", async () => {
    vi.useFakeTimers();
    const fake = { startDrain: vi.fn(), close: vi.fn(async () => {}), server: undefined as unknown as http.Server };
    const done = shutDown({ log, drainMs: 5000, server: fake }, []);
    expect(fake.startDrain).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(4999);
    expect(fake.close).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.close).toHaveBeenCalledOnce();
    await done;
  });
});
