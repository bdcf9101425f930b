// A Prometheus for the local stack: Debian's /usr/bin/prometheus with
// infra/prometheus/prometheus.local.yml (every service on its local port, the alert rules), data
// and log under the stack folder. Optional: without the binary the stack runs without it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { StackEnv } from "../env.js";
import { isAlive, readPid, stopPid, tail, waitFor } from "./proc.js";

export interface PrometheusPaths {
  dir: string;
  data: string;
  log: string;
  pidFile: string;
  config: string;
}

export function prometheusPaths(env: StackEnv): PrometheusPaths {
  const dir = path.join(env.ORDERFLOW_STACK_DIR, "prometheus");
  return {
    dir,
    data: path.join(dir, "data"),
    log: path.join(dir, "prometheus.log"),
    pidFile: path.join(dir, "prometheus.pid"),
    config: path.join(env.repoRoot, "infra", "prometheus", "prometheus.local.yml"),
  };
}

export function prometheusUrl(env: StackEnv): string {
  return `http://${env.PROMETHEUS_HOST}:${env.PROMETHEUS_PORT}`;
}

/** Prometheus answers /-/ready once its storage is open and the configuration loaded. */
export async function prometheusRunning(env: StackEnv): Promise<boolean> {
  try {
    return (await fetch(`${prometheusUrl(env)}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** Starts Prometheus unless it is off, already running or not installed (each said plainly);
 *  returns the pid it started. */
export async function prometheusUp(env: StackEnv, log: (m: string) => void): Promise<number | undefined> {
  if (env.ORDERFLOW_PROMETHEUS === "off") {
    log("prometheus: off (ORDERFLOW_PROMETHEUS=off)");
    return undefined;
  }
  if (await prometheusRunning(env)) {
    log(`prometheus: already running on ${prometheusUrl(env)}`);
    return undefined;
  }
  if (!fs.existsSync(env.PROMETHEUS_BIN)) {
    log(
      `prometheus: ${env.PROMETHEUS_BIN} not found, so the stack runs without it (no metric history, no console charts); install it with: apt-get install prometheus`,
    );
    return undefined;
  }
  const p = prometheusPaths(env);
  fs.mkdirSync(p.data, { recursive: true });
  const out = fs.openSync(p.log, "a");
  const child = spawn(
    env.PROMETHEUS_BIN,
    [
      `--config.file=${p.config}`,
      `--storage.tsdb.path=${p.data}`,
      // a development stack: two days of history is plenty and keeps .stack small
      "--storage.tsdb.retention.time=2d",
      `--web.listen-address=${env.PROMETHEUS_HOST}:${env.PROMETHEUS_PORT}`,
    ],
    { detached: true, stdio: ["ignore", out, out] },
  );
  child.unref();
  fs.closeSync(out);
  if (!child.pid) throw new Error(`prometheus: ${env.PROMETHEUS_BIN} could not be started`);
  fs.writeFileSync(p.pidFile, String(child.pid));
  const pid = child.pid;
  await waitFor(
    "prometheus",
    () => prometheusRunning(env),
    60_000,
    () => (isAlive(pid) ? undefined : `exited at start-up\n--- ${p.log} ---\n${tail(p.log)}`),
  );
  log(`prometheus: started (pid ${pid}) on ${prometheusUrl(env)}, scraping the services every 5 s`);
  return pid;
}

export async function prometheusDown(env: StackEnv, log: (m: string) => void): Promise<void> {
  const p = prometheusPaths(env);
  const pid = readPid(p.pidFile);
  if (!isAlive(pid)) {
    log("prometheus: not running");
    fs.rmSync(p.pidFile, { force: true });
    return;
  }
  await stopPid(pid!, 15_000);
  fs.rmSync(p.pidFile, { force: true });
  log("prometheus: stopped");
}
