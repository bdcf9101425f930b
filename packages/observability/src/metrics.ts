import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from "prom-client";

export type { Registry };

export interface Metrics {
  registry: Registry;
  counter<L extends string>(cfg: Omit<CounterConfiguration<L>, "registers">): Counter<L>;
  gauge<L extends string>(cfg: Omit<GaugeConfiguration<L>, "registers">): Gauge<L>;
  histogram<L extends string>(cfg: Omit<HistogramConfiguration<L>, "registers">): Histogram<L>;
}

/** A registry per service (not prom-client's global one), so tests can build several apps. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // unprefixed, as stock Node.js dashboards query them (process_cpu_user_seconds_total, nodejs_*)
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    counter: (cfg) => new Counter({ ...cfg, registers: [registry] }),
    gauge: (cfg) => new Gauge({ ...cfg, registers: [registry] }),
    histogram: (cfg) => new Histogram({ ...cfg, registers: [registry] }),
  };
}
