// `pnpm --filter @orderflow/contracts generate | check | compat | release`
//   generate  write generated/json-schema/*.json and generated/asyncapi.json from the zod source
//   check     fail when the generated files are stale
//   compat    fail on a backward-incompatible change against compat/released.json
//   release   record the current contracts as the released snapshot (with the package version)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { asyncApiDocument } from "../src/docs/asyncapi.js";
import { breakingChanges, currentSnapshot, type ContractSnapshot } from "../src/docs/compat.js";
import { eventJsonSchemas } from "../src/docs/json-schema.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = { "generated/asyncapi.json": json(asyncApiDocument(pkg.version)) };
  for (const [id, schema] of Object.entries(eventJsonSchemas())) files[`generated/json-schema/${id}.json`] = json(schema);
  return files;
}

function main(cmd: string | undefined): number {
  const releasedPath = path.join(root, "compat", "released.json");
  switch (cmd) {
    case "generate": {
      fs.rmSync(path.join(root, "generated"), { recursive: true, force: true });
      for (const [rel, text] of Object.entries(generatedFiles())) {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      }
      console.log(`wrote ${Object.keys(generatedFiles()).length} files under generated/`);
      return 0;
    }
    case "check": {
      const stale = Object.entries(generatedFiles()).filter(([rel, text]) => !fs.existsSync(path.join(root, rel)) || fs.readFileSync(path.join(root, rel), "utf8") !== text);
      if (stale.length === 0) return (console.log("generated files are up to date"), 0);
      console.error(`stale generated files (run: pnpm --filter @orderflow/contracts generate):\n  ${stale.map(([r]) => r).join("\n  ")}`);
      return 1;
    }
    case "compat": {
      const released = JSON.parse(fs.readFileSync(releasedPath, "utf8")) as ContractSnapshot;
      const breaking = breakingChanges(released, currentSnapshot(pkg.version));
      if (breaking.length === 0) return (console.log(`compatible with the released contracts ${released.version}`), 0);
      console.error(`${breaking.length} breaking change(s) against the released contracts ${released.version}:`);
      for (const b of breaking) console.error(`  ${b.message}  [${b.rule}]`);
      console.error("Publish a new event version (with an upcaster) instead of changing a released one.");
      return 1;
    }
    case "release": {
      fs.mkdirSync(path.dirname(releasedPath), { recursive: true });
      fs.writeFileSync(releasedPath, json(currentSnapshot(pkg.version)));
      console.log(`recorded the contracts ${pkg.version} as released`);
      return 0;
    }
    default:
      console.error("usage: contracts generate | check | compat | release");
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = main(process.argv[2]);
