// The suite's result table: one row per fault, as the issue asks for it.
import os from "node:os";
import type { Verdict } from "./world.js";

export interface Row {
  fault: string;
  /** orders placed during this fault */
  orders: number;
  verdict: Verdict;
  durationMs: number;
  note?: string;
  error?: string;
}

export function renderTable(rows: Row[], profile: { name: string; orders: number; soakMs: number }): string {
  const head =
    "| fault | orders | lost | duplicated effects | terminal | provider charges | provider duplicates | invariants | duration |\n|---|---:|---:|---:|---:|---:|---:|---|---:|";
  const lines = rows.map((r) => {
    const v = r.verdict;
    const inv = r.error
      ? `fault failed: ${r.error}`
      : v.failed.length
        ? `**violated:** ${v.failed.join("; ")}`
        : "I1–I8 hold";
    return `| ${r.fault} | ${r.orders} | ${v.lost} | ${v.duplicated} | ${v.terminal}/${v.orders} | ${v.provider.authorizations} | ${v.provider.duplicates} | ${inv} | ${(r.durationMs / 1000).toFixed(1)} s |`;
  });
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.fault}: ${r.note}`);
  return [
    `Reliability suite, ${profile.name} profile (${profile.orders} orders per fault, soak ${Math.round(profile.soakMs / 1000)} s), ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores.`,
    "Counts are over every order placed since the suite started (a fault re-checks the earlier ones); terminal = SHIPPED or CANCELLED;",
    "provider charges = authorizations the payment provider made (one per idempotency key), provider duplicates = authorizations beyond one per order (must be 0).",
    "",
    head,
    ...lines,
    "",
    ...notes,
    "",
  ].join("\n");
}
