// `pnpm --filter @orderflow/contracts generate | check:generated | compat | compat:release`
//   generate  write generated/json-schema*/*.json and generated/asyncapi.json from the zod source
//   check     fail when the generated files are stale
//   compat    fail when compat/released.json is not the package's released version, or on a
//             backward-incompatible change unless the pending changesets make a major version
//   release   after `changeset version`: record the current contracts as released at the
//             package's (new) version, and regenerate (the AsyncAPI document carries the version)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import getReleasePlan from "@changesets/get-release-plan";
import { asyncApiDocument } from "../src/docs/asyncapi.js";
import {
  compatGate,
  currentSnapshot,
  releaseVerdict,
  type ContractSnapshot,
  type GateVerdict,
  type PendingRelease,
} from "../src/docs/compat.js";
import { eventJsonSchemas, SCHEMA_DIRS } from "../src/docs/json-schema.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readPkg = () =>
  JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const releasedPath = path.join(root, "compat", "released.json");

export function generatedFiles(version = readPkg().version): Record<string, string> {
  const files: Record<string, string> = { "generated/asyncapi.json": json(asyncApiDocument(version)) };
  for (const audience of ["reader", "producer"] as const) {
    for (const [id, schema] of Object.entries(eventJsonSchemas("draft-2020-12", audience)))
      files[`generated/${SCHEMA_DIRS[audience]}/${id}.json`] = json(schema);
  }
  return files;
}

/** Rewrite generated/ in place: only files whose text changed are written, files no longer
 *  generated are removed. Never a moment with the folder gone (tests elsewhere read it). */
function writeGenerated(): number {
  const files = generatedFiles();
  let changed = 0;
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
    changed++;
  }
  const dir = path.join(root, "generated");
  const wanted = new Set(Object.keys(files).map((rel) => path.join(root, rel)));
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !wanted.has(file)) fs.rmSync(file), changed++;
  }
  return changed;
}

/** The version the pending changesets give this package, read as `changeset version` would. */
async function pendingRelease(name: string): Promise<PendingRelease | undefined> {
  const repoRoot = path.resolve(root, "../..");
  if (!fs.existsSync(path.join(repoRoot, ".changeset", "config.json"))) return undefined;
  const plan = await getReleasePlan(repoRoot);
  const r = plan.releases.find((x) => x.name === name);
  return r ? { version: r.newVersion, bump: r.type } : undefined;
}

function report(v: GateVerdict): number {
  for (const line of v.lines) (v.ok ? console.log : console.error)(line);
  return v.ok ? 0 : 1;
}

async function main(cmd: string | undefined): Promise<number> {
  const pkg = readPkg();
  switch (cmd) {
    case "generate": {
      const changed = writeGenerated();
      console.log(`${Object.keys(generatedFiles()).length} files under generated/, ${changed} changed`);
      return 0;
    }
    case "check": {
      const stale = Object.entries(generatedFiles()).filter(
        ([rel, text]) => !fs.existsSync(path.join(root, rel)) || fs.readFileSync(path.join(root, rel), "utf8") !== text,
      );
      if (stale.length === 0) return (console.log("generated files are up to date"), 0);
      console.error(
        `stale generated files (run: pnpm --filter @orderflow/contracts generate):\n  ${stale.map(([r]) => r).join("\n  ")}`,
      );
      return 1;
    }
    case "compat": {
      const released = JSON.parse(fs.readFileSync(releasedPath, "utf8")) as ContractSnapshot;
      return report(
        compatGate({
          released,
          current: currentSnapshot(pkg.version),
          packageVersion: pkg.version,
          pending: await pendingRelease(pkg.name),
        }),
      );
    }
    case "release": {
      const previous = fs.existsSync(releasedPath)
        ? (JSON.parse(fs.readFileSync(releasedPath, "utf8")) as ContractSnapshot)
        : undefined;
      const current = currentSnapshot(pkg.version);
      const verdict = releaseVerdict({ previous, current, packageVersion: pkg.version });
      if (verdict.ok) {
        fs.mkdirSync(path.dirname(releasedPath), { recursive: true });
        fs.writeFileSync(releasedPath, json(current));
        writeGenerated();
      }
      return report(verdict);
    }
    default:
      console.error("usage: contracts generate | check | compat | release");
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]))
  process.exitCode = await main(process.argv[2]);
