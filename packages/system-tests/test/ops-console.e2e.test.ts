// The ops console in a real headless Chromium (Debian's, driven by playwright-core) against the
// four services and the console as separate processes on the local stack, with a Prometheus of
// its own (Debian's) scraping them for the history charts. Screenshots of every step land in
// packages/system-tests/artifacts/ops-console/.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { createKafkaClient, deletePrefixedTopics, ensureTopics } from "@orderflow/kafka";
import { LOCAL_DEV_AUTH } from "@orderflow/config";
import { signToken } from "@orderflow/service-kit";
import { chromium, type Browser, type Page } from "playwright-core";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  anOrder,
  dropDatabases,
  getJson,
  KAFKA_BROKERS,
  migrateAll,
  poll,
  postJson,
  repoRoot,
  Service,
  TOPIC_PREFIX,
} from "./harness.js";

const PORTS = { order: 3111, payment: 3112, shipping: 3113, relay: 3114, console: 3115, provider: 3116 } as const;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PROMETHEUS = process.env.PROMETHEUS_PATH ?? "/usr/bin/prometheus";
const ARTIFACTS = path.join(repoRoot, "packages", "system-tests", "artifacts", "ops-console");
// the flags a machine without network access needs (ENVIRONMENT.md); playwright adds --headless and a fresh profile
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** payment retries twice within a second, then dead-letters */
const FAST_DLT = { CONSUMER_MAX_ATTEMPTS: "2", CONSUMER_RETRY_INITIAL_MS: "50", CONSUMER_RETRY_MAX_MS: "200" };

const kafka = createKafkaClient({
  brokers: KAFKA_BROKERS.split(","),
  clientId: "system-tests-console",
  logger: pino({ level: "warn" }),
  topicPrefix: TOPIC_PREFIX,
});
const operatorToken = await signToken(LOCAL_DEV_AUTH, {
  subject: "ada.operator",
  scopes: ["ops", "orders:read"],
  ttlSeconds: 3600,
});
let order: Service, payment: Service, shipping: Service, relay: Service, opsConsole: Service, provider: Service;
/** the order app's read-model process; its HTTP port (health, metrics) is any free one */
let projection: Service;
let projectionPort: number;
let prometheus:
  | { proc: ChildProcess; url: string; dir: string; exited: Promise<unknown>; stopped?: boolean }
  | undefined;
let browser: Browser;
let page: Page;
let problems: string[] = [];

const startPayment = (env: Record<string, string> = {}) =>
  Service.start("payment", PORTS.payment, { ...FAST_DLT, PAYMENT_PROVIDER_URL: provider.url(""), ...env }).then((s) =>
    s.ready(),
  );

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** a port nobody listens on now (the local stack's Prometheus has 9090) */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Debian's Prometheus on a free port with a data directory of its own, scraping this test's
 *  processes every second */
async function startPrometheus(): Promise<NonNullable<typeof prometheus>> {
  if (!fs.existsSync(PROMETHEUS))
    throw new Error(
      `no Prometheus at ${PROMETHEUS}: install Debian's (apt-get install prometheus) or set PROMETHEUS_PATH`,
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-e2e-prometheus-"));
  const targets = [...Object.values(PORTS), projectionPort].map((p) => `"127.0.0.1:${p}"`);
  fs.writeFileSync(
    path.join(dir, "prometheus.yml"),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: orderflow-e2e\n    static_configs: [{ targets: [${targets.join(", ")}] }]\n`,
  );
  const port = await freePort();
  const proc = spawn(
    PROMETHEUS,
    [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = fs.createWriteStream(path.join(repoRoot, ".stack", "test-logs", `prometheus-${port}.log`));
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  const exited = new Promise((r) => proc.once("exit", r));
  const url = `http://127.0.0.1:${port}`;
  await vi.waitFor(
    async () => {
      expect(proc.exitCode, "Prometheus exited early: see .stack/test-logs").toBeNull();
      expect((await fetch(`${url}/-/ready`).catch(() => undefined))?.status, "Prometheus /-/ready").toBe(200);
    },
    { ...poll, timeout: 60_000 },
  );
  return { proc, url, dir, exited };
}

async function stopPrometheus(): Promise<void> {
  if (!prometheus || prometheus.stopped) return;
  prometheus.stopped = true;
  if (prometheus.proc.exitCode === null && prometheus.proc.pid) process.kill(prometheus.proc.pid, "SIGTERM");
  await prometheus.exited;
  fs.rmSync(prometheus.dir, { recursive: true, force: true });
}

/** the number of series Prometheus has now for an instant query */
async function promSeries(query: string): Promise<number> {
  const r = await fetch(`${prometheus!.url}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await r.json()) as { status: string; data?: { result: unknown[] } };
  expect(body.status, `Prometheus query ${query}`).toBe("success");
  return body.data!.result.length;
}

const startConsole = (env: Record<string, string>) =>
  Service.start("ops-console", PORTS.console, {
    ORDER_URL: `http://127.0.0.1:${PORTS.order}`,
    RELAY_URL: `http://127.0.0.1:${PORTS.relay}`,
    OPS_HEALTH_CACHE_MS: "200",
    ...env,
  });

// biome-ignore lint/suspicious/noExplicitAny: the answer's shape is what the test checks; a caller names T where it wants one
async function consoleApi<T = any>(p: string): Promise<T> {
  const r = await fetch(opsConsole.url(p), { headers: { authorization: `Bearer ${operatorToken}` } });
  expect(r.status, `${p}: ${r.status}`).toBe(200);
  return (await r.json()) as T;
}

async function place(): Promise<string> {
  const r = await postJson(order.url("/orders"), anOrder());
  expect(r.status).toBe(202);
  return r.body.orderId as string;
}

const orderStatus = async (id: string) => (await getJson(order.url(`/orders/${id}`))).body.status as string | null;

async function signIn(): Promise<void> {
  await page.goto(opsConsole.url("/"));
  await page.getByLabel(/token/i).fill(operatorToken);
  await page.getByRole("button", { name: /sign in/i }).click();
  await page.getByText(/signed in as ada\.operator/i).waitFor();
}

async function openOrder(id: string): Promise<void> {
  await page.getByRole("link", { name: "Orders" }).click();
  await page.getByLabel("Order id").fill(id);
  await page.getByLabel("Order id").press("Enter");
  await page.getByRole("heading", { name: new RegExp(id) }).waitFor();
}

/** serious and critical accessibility violations on the page as it is now (axe-core, WCAG 2 A/AA) */
async function accessibilityViolations(): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            ctx: unknown,
            opts: unknown,
          ): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] },
    });
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

beforeAll(async () => {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`);
  migrateAll();
  await ensureTopics(kafka);
  fs.mkdirSync(path.join(repoRoot, ".stack", "test-logs"), { recursive: true });
  projectionPort = await freePort();
  prometheus = await startPrometheus();
  provider = await Service.start("payment-provider", PORTS.provider).then((s) => s.ready());
  [relay, order, projection, shipping, opsConsole] = await Promise.all([
    Service.start("outbox-relay", PORTS.relay),
    Service.start("order", PORTS.order),
    Service.start("order-projection", projectionPort),
    Service.start("shipping", PORTS.shipping, { SHIPPING_DISPATCH_DELAY_MS: "300" }),
    startConsole({ OPS_PROMETHEUS_URL: prometheus.url }),
  ]);
  payment = await startPayment();
  await Promise.all([relay.ready(), order.ready(), projection.ready(), shipping.ready(), opsConsole.ready()]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on(
    "console",
    (m) => void ((m.type() === "error" || m.type() === "warning") && problems.push(`console ${m.type()}: ${m.text()}`)),
  );
  page.on("pageerror", (e) => void problems.push(`page error: ${e.message}`));
  await signIn();
});

afterEach(() => {
  // no console errors or warnings, in any test
  const seen = problems;
  problems = [];
  expect(seen).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(
    [order, projection, payment, shipping, relay, opsConsole, provider].filter(Boolean).map((s) => s.stop()),
  );
  await stopPrometheus();
  await deletePrefixedTopics(kafka);
  await dropDatabases();
});

describe("the ops console", () => {
  it("shows a shipped order's events across the three services in causal order, with where each record is", async () => {
    const id = await place();
    await vi.waitFor(async () => expect(await orderStatus(id), `order ${id} SHIPPED`).toBe("SHIPPED"), {
      ...poll,
      timeout: 60_000,
    });
    await openOrder(id);
    const events = page.getByTestId("timeline-event");
    await expect.poll(() => events.count()).toBe(5);
    const types = await events.evaluateAll((els) => els.map((e) => e.getAttribute("data-event-type")));
    expect(types).toEqual(["OrderPlaced", "PaymentAuthorized", "OrderPaid", "ShipmentDispatched", "OrderShipped"]);
    // each event says which service published it and where the record is
    await expect.poll(() => events.nth(1).innerText()).toMatch(/payment/);
    await expect.poll(() => events.nth(1).innerText()).toMatch(/payment-events\/\d+@\d+/);
    await expect.poll(() => events.nth(3).innerText()).toMatch(/shipping-events\/\d+@\d+/);
    await expect.poll(() => page.getByTestId("dead-letter").count()).toBe(0);
    expect(await accessibilityViolations()).toEqual([]);
    await shot("1-shipped-order-timeline");
  });

  it("shows a poison order's dead letter, and a redrive from the page completes the order, audited", async () => {
    // the gateway is down: payment retries, then dead-letters the order's OrderPlaced
    await payment.stop();
    payment = await startPayment({ PAYMENT_GATEWAY_FAILPOINT: "unavailable" });
    const id = await place();
    const [dead] = await vi.waitFor(
      async () => {
        const list = (await consoleApi(`/api/dead-letters?key=${id}`)).deadLetters as { id: string }[];
        expect(list.length, "the OrderPlaced to be dead-lettered").toBeGreaterThan(0);
        return list;
      },
      { ...poll, timeout: 60_000 },
    );
    expect(await orderStatus(id)).toBe("PLACED");

    await openOrder(id);
    const row = page.getByTestId("dead-letter");
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute("data-state")).toBe("pending");
    expect(await row.innerText()).toMatch(/GatewayUnavailableError/);
    expect(await row.innerText()).toMatch(/payment/);
    expect(await accessibilityViolations()).toEqual([]);
    await shot("2-poison-order-dead-lettered");

    // the gateway is back; the operator redrives the record from the page
    await payment.stop();
    payment = await startPayment();
    await row.getByRole("button", { name: "Redrive" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/OrderPlaced/);
    await shot("3-redrive-confirmation");
    await dialog.getByRole("button", { name: "Confirm redrive" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toMatch(/ada\.operator/);

    await vi.waitFor(
      async () => expect(await orderStatus(id), `order ${id} SHIPPED after the redrive`).toBe("SHIPPED"),
      { ...poll, timeout: 60_000 },
    );
    await openOrder(id);
    await expect
      .poll(() =>
        page.getByTestId("timeline-event").evaluateAll((els) => els.map((e) => e.getAttribute("data-event-type"))),
      )
      .toEqual(["OrderPlaced", "PaymentAuthorized", "OrderPaid", "ShipmentDispatched", "OrderShipped"]);
    await expect.poll(() => page.getByTestId("dead-letter").getAttribute("data-state")).toBe("redriven");
    await shot("4-redriven-order-shipped");

    // the audit trail names the operator, the action and the record
    const audit = (await consoleApi("/api/audit")).entries as {
      action: string;
      operator: string;
      deadLetter: string;
    }[];
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "redrive", operator: "ada.operator", deadLetter: dead!.id }),
    );
    await page.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("cell", { name: dead!.id }).first().waitFor();
    await shot("5-audit-trail");
  });

  it("shows the flow's health live: lag per group, outbox per database, dead-letter depth with reasons", async () => {
    await page.getByRole("link", { name: "Flow health" }).click();
    const health = page.getByTestId("flow-health");
    await health.waitFor();
    for (const group of ["order", "order-projection", "payment", "shipping"])
      await page.locator(`[data-testid="lag-row"][data-group="${group}"]`).first().waitFor();
    await expect.poll(() => health.innerText()).toMatch(/order[\s\S]*payment[\s\S]*shipping/);
    // live: an order placed now shows up in the relay's throughput without reloading the page
    await place();
    await expect
      .poll(async () => (await consoleApi("/api/health")).relayPublishedPerSecond, { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId("relay-throughput").innerText(), { timeout: 30_000 })
      .toMatch(/^\D*[0-9.]*[1-9]/);
    expect(await accessibilityViolations()).toEqual([]);
    await shot("6-flow-health");
  });

  it("draws lag, records/s and outbox age over the last 15 minutes from Prometheus, a line per group or database", async () => {
    // half a minute of scrapes with an order placed every 5 s, so each line has a shape to draw
    await vi.waitFor(
      async () => {
        await place();
        const scraped = "min(count_over_time(orderflow_outbox_oldest_pending_seconds[1m])) >= 30";
        expect(await promSeries(scraped), "30 s of the services' samples").toBe(1);
        expect(await promSeries("orderflow_consumer_lag_records"), "lag samples").toBeGreaterThan(0);
        expect(await promSeries("rate(orderflow_consumer_records_total[1m])"), "records/s").toBeGreaterThan(0);
        expect(await promSeries("orderflow_outbox_oldest_pending_seconds"), "outbox age").toBeGreaterThan(0);
      },
      { timeout: 90_000, interval: 5000 },
    );
    await page.getByRole("link", { name: "History" }).click();
    const charts = page.getByTestId("history-chart");
    await expect.poll(() => charts.count()).toBe(3);
    const chart = (name: string) => page.locator(`[data-testid="history-chart"][data-chart="${name}"]`);
    for (const name of ["consumer-lag", "consumer-throughput", "outbox-age"]) {
      await expect.poll(() => chart(name).getAttribute("data-status"), { message: name }).toBe("ok");
      // uPlot drew its canvas, and its legend names each line
      await chart(name).locator("canvas").first().waitFor();
      await expect.poll(() => chart(name).locator(".u-legend").count(), { message: `${name} legend` }).toBe(1);
    }
    for (const group of ["order", "payment", "shipping"]) {
      await expect.poll(() => chart("consumer-lag").locator(".u-legend").innerText()).toMatch(new RegExp(group));
      await expect.poll(() => chart("consumer-throughput").locator(".u-legend").innerText()).toMatch(new RegExp(group));
      await expect.poll(() => chart("outbox-age").locator(".u-legend").innerText()).toMatch(new RegExp(group));
    }
    // the records/s line has a sample, not only a name
    await expect
      .poll(() => chart("consumer-throughput").getByTestId("history-latest").innerText())
      .toMatch(/payment \d/);
    expect(await accessibilityViolations()).toEqual([]);
    await shot("7-history-charts");
  });

  it("says plainly when its Prometheus does not answer, and when the console has none", async () => {
    await stopPrometheus();
    await page.reload();
    await page.getByRole("heading", { name: "History" }).waitFor();
    await expect.poll(() => page.getByTestId("history-unavailable").count()).toBe(3);
    expect(await page.getByTestId("history-unavailable").first().innerText()).toMatch(
      /^Prometheus at http:\/\/127\.0\.0\.1:\d+ did not answer: .*ECONNREFUSED/,
    );
    expect(await accessibilityViolations()).toEqual([]);
    await shot("8-history-prometheus-down");

    await opsConsole.stop();
    opsConsole = await startConsole({ OPS_PROMETHEUS_URL: "none" }).then((s) => s.ready());
    await page.goto(opsConsole.url("/#/history"));
    const message = page.getByTestId("history-unconfigured");
    await expect.poll(() => message.innerText()).toMatch(/^No Prometheus configured: set OPS_PROMETHEUS_URL/);
    expect(await page.getByTestId("history-chart").count()).toBe(0);
    expect(await accessibilityViolations()).toEqual([]);
    await shot("9-history-no-prometheus");
  });

  it("refuses the API without an operator credential, and names what is wrong with an action", async () => {
    expect((await fetch(opsConsole.url("/api/health"))).status).toBe(401);
    const readOnly = await signToken(LOCAL_DEV_AUTH, { subject: "viewer", scopes: ["orders:read"], ttlSeconds: 60 });
    const forbidden = await fetch(opsConsole.url("/api/dead-letters/redrive"), {
      method: "POST",
      headers: { authorization: `Bearer ${readOnly}`, "content-type": "application/json" },
      body: JSON.stringify({ group: "payment", key: "x" }),
    });
    expect(forbidden.status).toBe(403);
    const noReason = await fetch(opsConsole.url("/api/dead-letters/discard"), {
      method: "POST",
      headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify({ group: "payment", key: "x" }),
    });
    expect(noReason.status).toBe(400);
    expect(noReason.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(((await noReason.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain("reason");
  });
});
