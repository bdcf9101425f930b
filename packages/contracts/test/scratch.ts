// Throwaway copies for tests that must edit the contracts' source or run tools on them (the
// generator, turbo, the compatibility gate, changesets) without touching the real work tree, which
// other people and processes use at the same time.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = path.resolve(packageDir, "../..");

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for assertions on what a person would read */
  out: string;
}

/** The environment of a child process, without what the pnpm/npm script running this test put
 *  there (npm_config_*, npm_lifecycle_*), which would otherwise steer the child's own npm or pnpm. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|PNPM_|pnpm_)/i.test(k) && k !== "INIT_CWD") env[k] = v;
  return { ...env, ...extra };
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Ran {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: cleanEnv(opts.env),
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
}

/** Like run, but throws with everything the command printed when it fails. */
export function runOk(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Ran {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${opts.cwd}) exited ${r.status}:\n${r.out}`);
  return r;
}

/** runOk without blocking: several of these run side by side. */
export function runOkAsync(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => {
      const r = { status, stdout, stderr, out: `${stdout}${stderr}` };
      if (status === 0) resolve(r);
      else reject(new Error(`${cmd} ${args.join(" ")} (in ${opts.cwd}) exited ${status}:\n${r.out}`));
    });
  });
}

export interface ScratchRepo {
  root: string;
  /** packages/contracts inside the copy */
  pkg: string;
  read(rel: string): string;
  /** rewrite a file of the copied package; throws when `from` is not in it (a stale test) */
  replace(rel: string, from: string, to: string): void;
  /** write a file relative to the copy's root (e.g. `.changeset/x.md`) */
  writeRoot(rel: string, text: string): void;
  /** `tsx scripts/contracts.ts <cmd>` in the copy */
  contracts(cmd: "generate" | "check" | "compat" | "release"): Ran;
  remove(): void;
}

const PACKAGE_FILES = [
  "src",
  "scripts",
  "compat",
  "generated",
  "package.json",
  "turbo.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "CHANGELOG.md",
];

/** A minimal monorepo in a temp dir: the root turbo.json and changesets config of this repository
 *  and a copy of packages/contracts whose node_modules are the real ones (symlinked, read only). */
export function scratchRepo(name: string): ScratchRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `orderflow-${name}-`));
  const pkg = path.join(root, "packages", "contracts");
  fs.mkdirSync(pkg, { recursive: true });
  for (const f of PACKAGE_FILES) fs.cpSync(path.join(packageDir, f), path.join(pkg, f), { recursive: true });
  fs.symlinkSync(path.join(packageDir, "node_modules"), path.join(pkg, "node_modules"), "dir");
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"), "dir");
  fs.cpSync(path.join(repoRoot, "turbo.json"), path.join(root, "turbo.json"));
  fs.mkdirSync(path.join(root, ".changeset"));
  fs.cpSync(path.join(repoRoot, ".changeset", "config.json"), path.join(root, ".changeset", "config.json"));
  const rootPkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    packageManager: string;
  };
  fs.writeFileSync(
    path.join(root, "package.json"),
    `${JSON.stringify({ name: "scratch", private: true, packageManager: rootPkg.packageManager }, null, 2)}\n`,
  );
  // `pnpm run` (turbo runs tasks through it) must not try to install the copy's dependencies
  fs.writeFileSync(path.join(root, "pnpm-workspace.yaml"), "packages:\n  - packages/*\nverifyDepsBeforeRun: false\n");
  // the lockfile's first document (the pinned pnpm), which pnpm would otherwise write on the first run
  const lock = fs.readFileSync(path.join(repoRoot, "pnpm-lock.yaml"), "utf8");
  const second = lock.indexOf("\n---\n", 4);
  fs.writeFileSync(path.join(root, "pnpm-lock.yaml"), second > 0 ? lock.slice(0, second + 5) : lock);
  const tsx = path.join(pkg, "node_modules", ".bin", "tsx");
  return {
    root,
    pkg,
    read: (rel) => fs.readFileSync(path.join(pkg, rel), "utf8"),
    replace(rel, from, to) {
      const text = fs.readFileSync(path.join(pkg, rel), "utf8");
      if (!text.includes(from)) throw new Error(`${rel} no longer contains ${JSON.stringify(from)}`);
      fs.writeFileSync(path.join(pkg, rel), text.replace(from, to));
    },
    writeRoot: (rel, text) => fs.writeFileSync(path.join(root, rel), text),
    contracts: (cmd) => run(tsx, ["scripts/contracts.ts", cmd], { cwd: pkg }),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
