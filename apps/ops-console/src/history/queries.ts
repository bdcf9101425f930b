// The PromQL behind each history chart: the one place the console names metrics. The page asks
// for a chart by name; no query reaches Prometheus from outside this table.
import type { HistoryChartName } from "@orderflow/http-api/ops-console";

export interface ChartQuery {
  /** an instant-vector expression, evaluated at every step of the window */
  query: string;
  /** the label that names each series (the expression aggregates by it) */
  seriesLabel: string;
}

export const CHART_QUERIES: Record<HistoryChartName, ChartQuery> = {
  "consumer-lag": { query: "sum by (group) (orderflow_consumer_lag_records)", seriesLabel: "group" },
  "consumer-throughput": {
    query: "sum by (group) (rate(orderflow_consumer_records_total[1m]))",
    seriesLabel: "group",
  },
  "outbox-age": { query: "max by (database) (orderflow_outbox_oldest_pending_seconds)", seriesLabel: "database" },
};

/** the charts show the last 15 minutes ... */
export const WINDOW_SECONDS = 15 * 60;
/** ... at one point every 5 s: 181 points, fine enough for a 1 s scrape, light for the page */
export const STEP_SECONDS = 5;
