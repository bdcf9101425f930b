// The local stack's Prometheus, started on a free port with a data folder of its own so it runs
// beside the shared stack: it becomes ready, scrapes every service's job, and stops by its pid.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SERVICES } from "../src/docs/configuration.js";
import { loadStackEnv } from "../src/env.js";
import { isAlive } from "../src/stack/proc.js";
import { prometheusDown, prometheusRunning, prometheusUp, prometheusUrl } from "../src/stack/prometheus.js";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-prometheus-"));
const stackEnv = async (extra: Record<string, string> = {}) =>
  loadStackEnv({
    ...process.env,
    ORDERFLOW_STACK_DIR: dir,
    ORDERFLOW_PROMETHEUS: "on",
    PROMETHEUS_PORT: String(await freePort()),
    ...extra,
  });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the stack's Prometheus", () => {
  it("starts ready on its port, scrapes a job per service, and stops", async () => {
    const env = await stackEnv();
    const said: string[] = [];
    const pid = await prometheusUp(env, (m) => said.push(m));
    try {
      expect(pid).toBeGreaterThan(0);
      expect(said.join("\n")).toContain(`started (pid ${pid}) on ${prometheusUrl(env)}`);
      expect(fs.existsSync(path.join(dir, "prometheus", "data"))).toBe(true);
      // `up` has a series per scraped target: 1 or 0, whether or not the services run now
      await vi.waitFor(
        async () => {
          const r = (await (await fetch(`${prometheusUrl(env)}/api/v1/query?query=up`)).json()) as {
            data: { result: { metric: { job: string; instance: string } }[] };
          };
          const targets = r.data.result.map((s) => `${s.metric.job} ${s.metric.instance}`).sort();
          // every service, and the order app's projection process
          const jobs = [...SERVICES, "order-projection"].sort();
          expect(targets).toHaveLength(jobs.length);
          for (const t of targets) expect(t).toMatch(/^\S+ 127\.0\.0\.1:300[1-7]$/);
          expect(targets.map((t) => t.split(" ")[0])).toEqual(jobs);
        },
        { timeout: 30_000, interval: 250 },
      );
      // its rules are the repository's alerts
      const rules = (await (await fetch(`${prometheusUrl(env)}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string }[] }[] };
      };
      expect(rules.data.groups.flatMap((g) => g.rules.map((x) => x.name))).toContain("OrderflowServiceDown");
    } finally {
      await prometheusDown(env, () => {});
    }
    expect(isAlive(pid)).toBe(false);
    expect(await prometheusRunning(env)).toBe(false);
  }, 90_000);

  it("is left out, saying how to install it, when the binary is missing", async () => {
    const env = await stackEnv({ PROMETHEUS_BIN: path.join(dir, "no-such-prometheus") });
    const said: string[] = [];
    expect(await prometheusUp(env, (m) => said.push(m))).toBeUndefined();
    expect(said.join("\n")).toMatch(
      /no-such-prometheus not found, so the stack runs without it.*apt-get install prometheus/,
    );
  });

  it("is left out when ORDERFLOW_PROMETHEUS=off", async () => {
    const env = await stackEnv({ ORDERFLOW_PROMETHEUS: "off" });
    const said: string[] = [];
    expect(await prometheusUp(env, (m) => said.push(m))).toBeUndefined();
    expect(said).toEqual(["prometheus: off (ORDERFLOW_PROMETHEUS=off)"]);
    expect(await prometheusRunning(env)).toBe(false);
  });
});
