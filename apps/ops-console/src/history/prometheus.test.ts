import fs from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHistory, toChart, windowAt } from "./prometheus.js";

const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(new URL(`../../test/fixtures/prometheus/${name}.json`, import.meta.url), "utf8"));
const END = 1_800_000_000;
const range = { start: END - 900, end: END, stepSeconds: 5 };
const log = pino({ level: "silent" });

describe("a Prometheus range answer as a chart", () => {
  const chart = toChart("consumer-lag", fixture("lag-by-group"), range);

  it("has one point per 5 s over the last 15 minutes, ending at the window's end", () => {
    if (chart.status !== "ok") throw new Error(`expected a chart, got ${JSON.stringify(chart)}`);
    expect(chart.timestamps).toHaveLength(181);
    expect([chart.timestamps[0], chart.timestamps.at(-1), chart.stepSeconds]).toEqual([END - 900, END, 5]);
  });

  it("names each series by its consumer group, sorted, with each sample at its timestamp and gaps as null", () => {
    if (chart.status !== "ok") throw new Error("expected a chart");
    expect(chart.series.map((s) => s.name)).toEqual(["payment", "shipping"]);
    const [payment, shipping] = chart.series;
    expect(shipping!.values.slice(0, 3)).toEqual([0, 2, null]);
    expect(shipping!.values.at(-1)).toBe(1);
    // NaN (a rate over no samples) is a gap; a sample after the window's end is left out
    expect(payment!.values.slice(-2)).toEqual([null, 7]);
    expect(payment!.values.filter((v) => v !== null)).toEqual([7]);
    expect(payment!.values).toHaveLength(181);
  });

  it("says Prometheus refused the query, with its own words, when it answers an error", () => {
    expect(toChart("consumer-lag", fixture("bad-query"), range)).toEqual({
      status: "unavailable",
      chart: "consumer-lag",
      reason: expect.stringMatching(/Prometheus refused the query \(bad_data\): invalid parameter "query"/),
    });
  });

  it("says what is wrong with an answer of another shape instead of drawing it", () => {
    const c = toChart("outbox-age", fixture("instant-vector"), range);
    expect(c).toMatchObject({ status: "unavailable", chart: "outbox-age" });
    expect(c.status === "unavailable" && c.reason).toMatch(/Prometheus answered unexpectedly: data\.resultType/);
    expect(toChart("outbox-age", "<html>proxy error</html>", range).status).toBe("unavailable");
  });

  it("ends the window at the last whole step, so pages asking within one step get the same points", () => {
    expect(windowAt((END + 4) * 1000)).toEqual(range);
    expect(windowAt((END + 5) * 1000).end).toBe(END + 5);
  });
});

describe("the history charts from a Prometheus", () => {
  let server: Server;
  let url: string;
  const asked: URL[] = [];
  let answer: (req: IncomingMessage) => { status: number; type: string; body: string } = () => ({
    status: 200,
    type: "application/json",
    body: JSON.stringify(fixture("lag-by-group")),
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      asked.push(new URL(req.url ?? "/", "http://x"));
      const a = answer(req);
      res.writeHead(a.status, { "content-type": a.type }).end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("asks the chart's fixed query over the last 15 minutes, 5 s apart", async () => {
    const history = createHistory({ prometheusUrl: url, log, now: () => END * 1000 + 1234 });
    const chart = await history.chart("consumer-throughput");
    expect(chart.status).toBe("ok");
    const q = asked.at(-1)!;
    expect(q.pathname).toBe("/api/v1/query_range");
    expect(Object.fromEntries(q.searchParams)).toMatchObject({
      query: "sum by (group) (rate(orderflow_consumer_records_total[1m]))",
      start: String(END - 900),
      end: String(END),
      step: "5",
    });
  });

  it("says so plainly when Prometheus answers an error page instead of JSON", async () => {
    answer = () => ({ status: 503, type: "text/plain", body: "Service Unavailable" });
    const chart = await createHistory({ prometheusUrl: url, log }).chart("outbox-age");
    expect(chart).toEqual({
      status: "unavailable",
      chart: "outbox-age",
      reason: `Prometheus at ${url} answered 503 without JSON`,
    });
  });

  it("says so plainly when Prometheus does not answer at all", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const chart = await createHistory({ prometheusUrl: gone, log }).chart("consumer-lag");
    expect(chart.status).toBe("unavailable");
    expect(chart.status === "unavailable" && chart.reason).toMatch(
      new RegExp(`^Prometheus at ${gone} did not answer: .*ECONNREFUSED`),
    );
  });

  it("tells the page no Prometheus is configured, naming the variable, without asking anyone", async () => {
    const before = asked.length;
    const chart = await createHistory({ prometheusUrl: null, log }).chart("consumer-lag");
    expect(chart).toEqual({
      status: "unconfigured",
      chart: "consumer-lag",
      reason: expect.stringMatching(/^No Prometheus configured: set OPS_PROMETHEUS_URL/),
    });
    expect(asked.length).toBe(before);
  });
});
