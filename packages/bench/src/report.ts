// The results table: each figure beside its baseline, the ratio and whether it meets its target,
// written to packages/bench/results/latest.{json,md}.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Bench } from "./context.js";
import { BENCH_PARTS } from "./env.js";
import { round, type Figure } from "./stats.js";

export interface Row {
  figure: string;
  value: Figure;
  /** the second of a pair shown as "value / also" (a p99 beside its p50, say) */
  also?: Figure;
  /** shown instead of the median and spread (a start → end pair, say) */
  display?: string;
  unit: string;
  baseline?: { name: string; value: Figure };
  /** Orderflow ÷ baseline (medians) */
  ratio?: number;
  target?: string;
  met?: boolean;
}

const holds = (op: string, bound: string, v: number) => (op === "≥" ? v >= Number(bound) : v <= Number(bound));

/** Each row's ratio to its baseline, and whether it meets a target of the form "≥ 0.7× baseline",
 *  "≤ 5 ms", or "≤ 5 / ≤ 25 ms" for a pair (the value, then `also`). */
export function judge(rows: Row[]): Row[] {
  for (const r of rows) {
    if (r.baseline) r.ratio = round(r.value.median / r.baseline.value.median, 2);
    if (r.met === undefined && r.target) {
      const m = /([≥≤]) ([\d.]+)(?: \/ ([≥≤]) ([\d.]+))?(×| ms)/.exec(r.target);
      if (m) {
        const first = holds(m[1]!, m[2]!, m[5] === "×" ? r.ratio! : r.value.median);
        r.met = m[3] === undefined ? first : first && r.also !== undefined && holds(m[3], m[4]!, r.also.median);
      }
    }
  }
  return rows;
}

/** a figure as the table shows it: its median, and its spread when it was measured more than once */
const f = (x: Figure) =>
  x.runs.length > 1 ? `${round(x.median)} (${round(x.min)}–${round(x.max)})` : `${round(x.median)}`;

/** the Orderflow cell: the row's own display, a pair as "value / also", or the value */
export const valueCell = (r: Row) => r.display ?? (r.also ? `${f(r.value)} / ${f(r.also)}` : f(r.value));

export function writeResults(bench: Pick<Bench, "profileName" | "P" | "parts">, rows: Row[]): void {
  const { profileName, P, parts } = bench;
  const dir = path.join(import.meta.dirname, "..", "results");
  fs.mkdirSync(dir, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  fs.writeFileSync(
    path.join(dir, "latest.json"),
    `${JSON.stringify({ profile: profileName, settings: P, machine, at: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  const md = [
    `Benchmarks, ${profileName} profile${parts.size < BENCH_PARTS.length ? ` (${[...parts].join(", ")} only)` : ""} (median of ${P.repeats} runs, spread min–max), ${new Date().toISOString().slice(0, 16)}Z, ${machine}. Broker, PostgreSQL, services and load generator share the machine.`,
    "",
    "| figure | Orderflow | baseline | ratio | target | met |",
    "|---|---:|---|---:|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${valueCell(r)} ${r.unit} | ${r.baseline ? `${f(r.baseline.value)} (${r.baseline.name})` : "–"} | ${r.ratio ?? "–"} | ${r.target ?? "–"} | ${r.met === undefined ? "–" : r.met ? "yes" : "**no**"} |`,
    ),
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "latest.md"), md);
  process.stdout.write(`\n${md}\nwritten to ${dir}/latest.{json,md}\n`);
}
