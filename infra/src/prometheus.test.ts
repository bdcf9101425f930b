// infra/prometheus and infra/grafana cannot drift from Prometheus or from the code: promtool
// (Debian package `prometheus`) accepts the configs and rules and passes the rules' unit tests,
// and every metric the rules and the dashboard query is one the services export.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createMetrics } from "@orderflow/observability";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVICES } from "./docs/configuration.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const prom = path.join(root, "infra", "prometheus");
const PROMTOOL = "/usr/bin/promtool";

function promtool(...args: string[]): string {
  if (!fs.existsSync(PROMTOOL))
    throw new Error(`${PROMTOOL} not found: install the Debian package prometheus (apt-get install prometheus)`);
  const r = spawnSync(PROMTOOL, args, { cwd: prom, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`promtool ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}
const rules = (
  parse(fs.readFileSync(path.join(prom, "alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(fs.readFileSync(path.join(root, "infra/grafana/dashboards/orderflow.json"), "utf8")) as {
  panels: { title: string; targets?: { expr: string }[] }[];
};
const scrapeJobs = (file: string) =>
  (
    parse(fs.readFileSync(path.join(prom, file), "utf8")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }
  ).scrape_configs.map((j) => ({ job: j.job_name, targets: j.static_configs.flatMap((s) => s.targets) }));

describe("promtool", () => {
  it("accepts both scrape configs (Compose and the local stack) with the rules they load", () => {
    for (const file of ["prometheus.yml", "prometheus.local.yml"])
      expect(promtool("check", "config", file)).toMatch(/SUCCESS: .*is valid prometheus config file/);
  });

  it("accepts the alert rules", () => {
    expect(promtool("check", "rules", "alerts.yml")).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("passes the rules' unit tests, where every alert fires on a synthetic series and stays quiet on a healthy one", () => {
    expect(promtool("test", "rules", "alerts.test.yml")).toContain("SUCCESS");
    const tests = (
      parse(fs.readFileSync(path.join(prom, "alerts.test.yml"), "utf8")) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of rules) {
      const mine = tests.filter((t) => t.alertname === alert);
      expect(
        mine.some((t) => t.exp_alerts.length > 0),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        mine.some((t) => t.exp_alerts.length === 0),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
  });
});

describe("the scrape configs", () => {
  it("scrape every service, by its Compose name in Compose and on 127.0.0.1 locally, on the same ports", () => {
    const compose = scrapeJobs("prometheus.yml");
    const local = scrapeJobs("prometheus.local.yml");
    // every service, and the order app's projection process
    expect(compose.map((j) => j.job).sort()).toEqual([...SERVICES, "order-projection"].sort());
    for (const { job, targets } of compose) {
      expect(targets).toHaveLength(1);
      const port = targets[0]!.split(":")[1];
      expect(targets[0]).toBe(`${job}:${port}`);
      expect(local.find((l) => l.job === job)?.targets).toEqual([`127.0.0.1:${port}`]);
    }
  });
});

/** the source folders of every app and package, tests left out */
function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === "generated" ? [] : walk(p);
      return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
    });
  return ["apps", "packages"].flatMap((top) =>
    fs
      .readdirSync(path.join(root, top))
      .map((d) => path.join(root, top, d, "src"))
      .filter((src) => fs.existsSync(src))
      .flatMap(walk),
  );
}

/** Every metric the services define: each orderflow_* name in non-test source with the kind of
 *  the nearest metric constructor, and the default Node.js metrics as createMetrics registers them. */
async function exportedSeries(): Promise<Set<string>> {
  const series = new Set(["up"]);
  const add = (name: string, kind: string) => {
    if (kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) series.add(name + s);
    else series.add(name);
  };
  // prom-client's typings say a numeric enum; at run time the type is the text format's word
  for (const m of await createMetrics("drift").registry.getMetricsAsJSON()) add(m.name, String(m.type));
  for (const file of sourceFiles()) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/"(orderflow_[a-z0-9_]+)"/g)) {
      const near = [
        ...text.slice(Math.max(0, m.index - 300), m.index + 300).matchAll(/\b(?:new |\.)(counter|gauge|histogram)\(/gi),
      ];
      const nearest = near.sort((a, b) => Math.abs(a.index - 300) - Math.abs(b.index - 300))[0];
      if (nearest) add(m[1]!, nearest[1]!.toLowerCase());
    }
  }
  return series;
}

/** The series names a PromQL expression reads (functions, keywords and label names are not names we define). */
const namesIn = (expr: string) =>
  [...expr.replace(/\{[^}]*\}/g, "").matchAll(/\b((?:orderflow|nodejs|process)_[a-z0-9_]+|up)\b(?!\s*\()/g)].map(
    (m) => m[1]!,
  );

describe("the rules and the dashboard", () => {
  it("query only metrics the services export", async () => {
    const exported = await exportedSeries();
    expect(exported).toContain("orderflow_consumer_lag_records");
    const queried = [
      ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
    ];
    const missing = queried.flatMap(({ where, expr }) =>
      namesIn(expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(missing).toEqual([]);
    // the flow the dashboard is for
    const all = queried.map((q) => q.expr).join("\n");
    for (const name of [
      "orderflow_consumer_lag_records",
      "orderflow_consumer_records_total",
      "orderflow_outbox_backlog_rows",
      "orderflow_outbox_oldest_pending_seconds",
      "orderflow_dead_letters_pending_records",
      "orderflow_saga_duration_seconds_bucket",
      "orderflow_http_request_duration_seconds_bucket",
    ])
      expect(all).toContain(name);
  });

  it("give every alert a runbook and a link to its section of docs/observability.md", () => {
    const doc = fs.readFileSync(path.join(root, "docs/observability.md"), "utf8");
    const anchors = new Set(
      [...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s-]/gu, "")
          .replace(/\s/g, "-"),
      ),
    );
    for (const r of rules) {
      expect(r.annotations.runbook?.length, `${r.alert} has a runbook`).toBeGreaterThan(40);
      const [file, anchor] = r.annotations.runbook_url!.split("#");
      expect(file, r.alert).toBe("docs/observability.md");
      expect(anchors, `${r.alert}: #${anchor}`).toContain(anchor);
    }
  });
});
