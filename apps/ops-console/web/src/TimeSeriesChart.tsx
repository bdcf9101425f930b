// One history chart drawn with uPlot (canvas, its own legend naming each series). uPlot is not a
// React component: the plot is made in an effect, fed new data in place, and destroyed on unmount.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { HistorySeries } from "@orderflow/http-api/ops-console";
import { formatNumber } from "./ui";

/** distinct hues with at least 4.5:1 contrast on white */
const PALETTE = ["#0a58ca", "#b42318", "#1a7f37", "#8250df", "#9a6700", "#0b7285", "#bf3989", "#57606a"];
const HEIGHT = 220;

interface Props {
  timestamps: number[];
  series: HistorySeries[];
  /** the y axis' unit, e.g. "records/s" */
  unit: string;
}

function options(series: HistorySeries[], unit: string, width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
    series: [
      { label: "time" },
      ...series.map((s, i) => ({
        label: s.name,
        stroke: PALETTE[i % PALETTE.length]!,
        width: 2,
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : `${formatNumber(v)} ${unit}`),
      })),
    ],
    axes: [{}, { label: unit, size: 64, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) }],
  };
}

export function TimeSeriesChart({ timestamps, series, unit }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [timestamps, ...series.map((s) => s.values)];
  // a new series (a group appearing) needs a new plot; new points of the same ones do not
  const shape = `${unit}\n${series.map((s) => s.name).join("\n")}`;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for the series and unit the plot is built from; new data goes through setData below
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const p = new uPlot(options(series, unit, el.clientWidth), data, el);
    plot.current = p;
    const resize = new ResizeObserver(() => p.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div ref={ref} className="chart" data-testid="chart-canvas" />;
}
