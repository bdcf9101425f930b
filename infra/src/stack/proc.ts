// Small process helpers for the stack: pid files, liveness, waiting for a TCP port.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Poll `probe` (backing off from 50 ms to 500 ms) until it returns a value other than false or
 *  undefined, and return that value. A probe that throws is tried again; the last error is named
 *  if time runs out. `isDead` ends the wait early, e.g. when the awaited process has exited.
 *  Tests use vitest's vi.waitFor; this is for code that runs outside vitest (the stack, the bench
 *  and the harness that starts services for both). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | false | undefined> | T | false | undefined,
  timeoutMs = 30_000,
  isDead?: () => string | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    const dead = isDead?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, delay));
  }
}

export async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  try {
    await waitFor(`process ${pid} to exit`, () => !isAlive(pid), graceMs);
  } catch {
    process.kill(pid, "SIGKILL");
    await waitFor(`process ${pid} to exit after SIGKILL`, () => !isAlive(pid), 10_000);
  }
}

/** Run a command, throwing with its output when it fails. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) throw new Error(`${cmd} could not be started: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${String(r.stdout ?? "")}${String(r.stderr ?? "")}`.trim(),
    );
  }
  return String(r.stdout ?? "");
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
