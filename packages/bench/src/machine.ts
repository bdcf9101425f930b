// Where the machine's CPU and memory go while a scenario runs, from /proc.
import fs from "node:fs";
import type { Service } from "@orderflow/system-tests/harness";
import { round } from "./stats.js";

/** all CPU seconds the machine spent (every core), from /proc/stat */
function machineCpuSeconds(): number {
  const [, ...v] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  const [user, nice, system, , , irq, softirq, steal] = n as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (user + nice + system + irq + softirq + steal) / 100; // busy time: not idle, not iowait
}

/** CPU seconds so far of every process on the machine, grouped as the broker (java), PostgreSQL,
 *  this benchmark process (the load generator) and the named services; the rest as "other". */
export type Named = { pid: number; name: string };
export const named = (services: Service[]): Named[] => services.map((s) => ({ pid: s.proc.pid!, name: s.name }));

function cpuByGroup(processes: Named[]): Map<string, number> {
  const named = new Map(processes.map((p) => [p.pid, p.name] as const));
  const out = new Map<string, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(d);
      const group =
        named.get(pid) ??
        (pid === process.pid
          ? "load generator"
          : comm === "java"
            ? "broker"
            : comm === "postgres"
              ? "PostgreSQL"
              : "other");
      out.set(group, (out.get(group) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Runs `fn` and says where the machine's CPU went meanwhile, as % of one core. */
export async function whereCpuGoes<T>(
  services: Named[],
  fn: () => Promise<T>,
): Promise<{ result: T; display: string; total: number }> {
  const m0 = machineCpuSeconds();
  const g0 = cpuByGroup(services);
  const t0 = Date.now();
  const result = await fn();
  const wall = (Date.now() - t0) / 1000;
  const machine = machineCpuSeconds() - m0;
  const g1 = cpuByGroup(services);
  const shares = [...g1]
    .map(([k, v]) => [k, Math.max(0, v - (g0.get(k) ?? 0))] as const)
    .filter(([k]) => k !== "other");
  const known = shares.reduce((n, [, v]) => n + v, 0);
  const parts = [...shares, ["other (kernel, exited processes)", Math.max(0, machine - known)] as const]
    .filter(([, v]) => v / wall >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  return {
    result,
    total: (100 * machine) / wall,
    display: `${round((100 * machine) / wall, 0)}%: ${parts.map(([k, v]) => `${k} ${round((100 * v) / wall, 0)}%`).join(", ")}`,
  };
}

export function rssMb(s: Service): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${s.proc.pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
