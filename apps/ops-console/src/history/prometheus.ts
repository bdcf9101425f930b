// The history charts' source: Prometheus' range-query API, asked server-side with the fixed
// queries of ./queries.ts. Whatever Prometheus does (absent, down, an error, an answer of another
// shape) becomes a chart with a status and a reason the page shows; nothing here throws.
import type { HistoryChart, HistoryChartName, HistorySeries } from "@orderflow/http-api/ops-console";
import { mismatch } from "@orderflow/http-api/mismatch";
import type { Logger } from "pino";
import { z } from "zod";
import { CHART_QUERIES, STEP_SECONDS, WINDOW_SECONDS } from "./queries.js";

/** a range query's answer (Prometheus HTTP API, resultType "matrix"): sample values are strings */
const MatrixAnswer = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("matrix"),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        values: z.array(z.tuple([z.number(), z.string()])),
      }),
    ),
  }),
});
const ErrorAnswer = z.object({ status: z.literal("error"), errorType: z.string(), error: z.string() });

const TIMEOUT_MS = 5000;

export interface Range {
  /** unix seconds, a multiple of stepSeconds */
  start: number;
  end: number;
  stepSeconds: number;
}

/** the window ending at the last whole step before `nowMs`, so two pages asking in the same step
 *  get the same points */
export function windowAt(nowMs: number): Range {
  const end = Math.floor(nowMs / 1000 / STEP_SECONDS) * STEP_SECONDS;
  return { start: end - WINDOW_SECONDS, end, stepSeconds: STEP_SECONDS };
}

/** Prometheus' "NaN", "+Inf" and "-Inf" (a rate over no samples, a division by zero) draw as gaps */
function sampleValue(s: string): number | null {
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/**
 * A range query's answer as a chart: one timestamp per step of `range`, and per series a value
 * for each (null where Prometheus has no sample), series sorted by name. Anything else Prometheus
 * may answer is an "unavailable" chart naming what was wrong.
 */
export function toChart(chart: HistoryChartName, body: unknown, range: Range): HistoryChart {
  const parsed = MatrixAnswer.safeParse(body);
  if (!parsed.success) {
    const error = ErrorAnswer.safeParse(body);
    const reason = error.success
      ? `Prometheus refused the query (${error.data.errorType}): ${error.data.error}`
      : `Prometheus answered unexpectedly: ${mismatch(parsed.error)}`;
    return { status: "unavailable", chart, reason };
  }
  const points = Math.floor((range.end - range.start) / range.stepSeconds) + 1;
  const timestamps = Array.from({ length: points }, (_, i) => range.start + i * range.stepSeconds);
  const label = CHART_QUERIES[chart].seriesLabel;
  const series: HistorySeries[] = parsed.data.data.result.map((r) => {
    const values: (number | null)[] = new Array(points).fill(null);
    for (const [t, v] of r.values) {
      const i = Math.round((t - range.start) / range.stepSeconds);
      if (i >= 0 && i < points) values[i] = sampleValue(v);
    }
    return { name: r.metric[label] ?? `(no ${label})`, values };
  });
  series.sort((a, b) => a.name.localeCompare(b.name));
  return { status: "ok", chart, timestamps, stepSeconds: range.stepSeconds, series };
}

export interface History {
  chart(name: HistoryChartName): Promise<HistoryChart>;
}

const UNCONFIGURED = "No Prometheus configured: set OPS_PROMETHEUS_URL to show the history charts";

/** `prometheusUrl` null: every chart says no Prometheus is configured */
export function createHistory(deps: { prometheusUrl: string | null; log: Logger; now?: () => number }): History {
  const now = deps.now ?? Date.now;
  let lastReason: string | null = null;
  // one log line when Prometheus stops answering (or answers differently), not one per poll
  const note = (c: HistoryChart) => {
    const reason = c.status === "unavailable" ? c.reason : null;
    if (reason && reason !== lastReason) deps.log.warn({ chart: c.chart, reason }, "history chart unavailable");
    else if (!reason && lastReason) deps.log.info({ chart: c.chart }, "history charts available again");
    lastReason = reason;
    return c;
  };
  return {
    async chart(chart) {
      if (deps.prometheusUrl === null) return { status: "unconfigured", chart, reason: UNCONFIGURED };
      return note(await ask(deps.prometheusUrl, chart, windowAt(now())));
    },
  };
}

async function ask(baseUrl: string, chart: HistoryChartName, range: Range): Promise<HistoryChart> {
  const params = new URLSearchParams({
    query: CHART_QUERIES[chart].query,
    start: String(range.start),
    end: String(range.end),
    step: String(range.stepSeconds),
    timeout: `${TIMEOUT_MS / 1000}s`,
  });
  let r: Response;
  try {
    r = await fetch(`${baseUrl}/api/v1/query_range?${params}`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const err = e as Error & { cause?: { message?: string } };
    return {
      status: "unavailable",
      chart,
      reason: `Prometheus at ${baseUrl} did not answer: ${err.cause?.message ?? err.message}`,
    };
  }
  const body: unknown = await r.json().catch(() => undefined);
  if (body === undefined)
    return { status: "unavailable", chart, reason: `Prometheus at ${baseUrl} answered ${r.status} without JSON` };
  return toChart(chart, body, range);
}
