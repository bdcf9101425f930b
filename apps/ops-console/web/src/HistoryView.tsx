// History: lag per consumer group, records/s per group and the outbox's oldest pending age per
// database over the last 15 minutes, from Prometheus through the console's server (GET
// /api/history/<chart>, a fixed query each). Refreshed every 10 s while shown. No Prometheus
// configured, or one that does not answer, is said in words instead of an empty chart.
import { useEffect, useState } from "react";
import { HistoryChart, type HistoryChartName } from "@orderflow/http-api/ops-console";
import { type ApiError, toApiError, useApi } from "./api";
import { TimeSeriesChart } from "./TimeSeriesChart";
import { formatNumber } from "./ui";

const POLL_MS = 10_000;

const CHARTS: { name: HistoryChartName; title: string; unit: string; what: string }[] = [
  { name: "consumer-lag", title: "Consumer lag", unit: "records", what: "records not yet consumed, per group" },
  {
    name: "consumer-throughput",
    title: "Records per second",
    unit: "records/s",
    what: "records handled per second, per group (over a minute)",
  },
  {
    name: "outbox-age",
    title: "Outbox oldest pending age",
    unit: "s",
    what: "age of the oldest unpublished outbox row, per database",
  },
];

type Charts = Partial<Record<HistoryChartName, HistoryChart>>;

function useHistory(): { charts: Charts; error: ApiError | null } {
  const api = useApi();
  const [charts, setCharts] = useState<Charts>({});
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ctrl = new AbortController();
    const poll = async () => {
      try {
        const answers = await Promise.all(
          CHARTS.map((c) => api.get(`/api/history/${c.name}`, HistoryChart, ctrl.signal)),
        );
        if (stopped) return;
        setCharts(Object.fromEntries(answers.map((a) => [a.chart, a])));
        setError(null);
      } catch (err) {
        if (stopped) return;
        setError(toApiError(err));
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [api]);
  return { charts, error };
}

export function HistoryView() {
  const { charts, error } = useHistory();
  const loaded = Object.values(charts);
  const unconfigured = loaded.find((c) => c.status === "unconfigured");
  return (
    <div data-testid="history" className="history">
      <div className="page-title">
        <h1 tabIndex={-1}>History</h1>
        <p className="updated muted">last 15 minutes · refreshes every 10 s</p>
      </div>
      {error && (
        <p role="alert" className="banner error">
          Could not load the history: {error.detail}. Retrying every 10 s.
        </p>
      )}
      {loaded.length === 0 && !error && <p className="muted">loading…</p>}
      {unconfigured && (
        <p role="status" className="banner notice" data-testid="history-unconfigured">
          {unconfigured.reason}.
        </p>
      )}
      {!unconfigured &&
        CHARTS.map((c) => {
          const chart = charts[c.name];
          return chart && <ChartSection key={c.name} {...c} chart={chart} />;
        })}
    </div>
  );
}

function ChartSection({ name, title, unit, what, chart }: (typeof CHARTS)[number] & { chart: HistoryChart }) {
  const heading = `chart-${name}-heading`;
  return (
    <section aria-labelledby={heading} data-testid="history-chart" data-chart={name} data-status={chart.status}>
      <h2 id={heading}>
        {title} <span className="muted unit">({unit})</span>
      </h2>
      <p className="hint">{what}</p>
      {chart.status === "unavailable" && (
        <p className="banner warn" data-testid="history-unavailable">
          {chart.reason}
        </p>
      )}
      {chart.status === "ok" && chart.series.length === 0 && <p>No data in the last 15 minutes.</p>}
      {chart.status === "ok" && chart.series.length > 0 && <Drawn chart={chart} unit={unit} />}
    </section>
  );
}

/** The chart from its first sample on: a Prometheus younger than the window (or series newer than
 *  it) fills the width instead of drawing a sliver at the right edge; the hint says so. */
function Drawn({ chart, unit }: { chart: Extract<HistoryChart, { status: "ok" }>; unit: string }) {
  const firstIndex = chart.timestamps.findIndex((_, i) => chart.series.some((s) => s.values[i] != null));
  const from = Math.max(0, firstIndex);
  const series = from === 0 ? chart.series : chart.series.map((s) => ({ ...s, values: s.values.slice(from) }));
  const since = new Date((chart.timestamps[from] ?? 0) * 1000);
  return (
    <>
      {from > 0 && (
        <p className="hint" data-testid="history-since">
          no samples before {since.toLocaleTimeString("en-GB", { hour12: false })}: the chart starts there
        </p>
      )}
      <TimeSeriesChart timestamps={chart.timestamps.slice(from)} series={series} unit={unit} />
      <p className="latest" data-testid="history-latest">
        Latest:{" "}
        {chart.series.map((s, i) => (
          <span key={s.name} data-series={s.name}>
            {i > 0 && " · "}
            {s.name} {latest(s.values)}
          </span>
        ))}
      </p>
    </>
  );
}

/** the newest sample, or a dash when the series has none in the window */
function latest(values: (number | null)[]): string {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return formatNumber(v);
  }
  return "–";
}
