// The import boundaries in the root .biome.jsonc, run by Biome itself on a throwaway tree laid out
// like the repository: each boundary fails on a violation and passes on the clean counterpart.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
const RULES = { imports: "lint/style/noRestrictedImports", env: "lint/style/noProcessEnv" } as const;

interface Fixture {
  file: string;
  source: string;
  /** the boundary rule expected to fire, or null for clean code */
  fires: keyof typeof RULES | null;
}

const cases: Record<string, Fixture[]> = {
  "an app imports an app": [
    { file: "apps/order/src/commands/by-name.ts", source: 'import "@orderflow/payment";', fires: "imports" },
    {
      file: "apps/order/src/commands/by-subpath.ts",
      source: 'import "@orderflow/shipping/src/env.js";',
      fires: "imports",
    },
    {
      file: "apps/order/src/commands/by-path.ts",
      source: 'import "../../../payment/src/domain/payment.js";',
      fires: "imports",
    },
    { file: "apps/ops-console/web/src/by-path.ts", source: 'import "../../../order/src/env.js";', fires: "imports" },
    {
      file: "apps/order/src/commands/clean.ts",
      source: 'import "@orderflow/contracts";\nimport "../db/client.js";',
      fires: null,
    },
    { file: "apps/ops-console/web/src/clean.ts", source: 'import "../../src/api-types.js";', fires: null },
  ],
  "domain/ imports infrastructure": [
    ...[
      "kafkajs",
      "express",
      "pg",
      "prisma",
      "@prisma/client",
      "@orderflow/kafka",
      "@orderflow/db-kit",
      "@orderflow/db-kit/testing",
      "@orderflow/observability",
      "node:fs",
      "../db/client.js",
      "../http/app.js",
      "../events/consumer.js",
      "../generated/prisma/client.js",
    ].map(
      (spec, i): Fixture => ({
        file: `apps/order/src/domain/infra-${i}.ts`,
        source: `import "${spec}";`,
        fires: "imports",
      }),
    ),
    {
      file: "apps/order/src/domain/clean.ts",
      source: 'import "./errors.js";\nimport "@orderflow/contracts";\nimport "zod";',
      fires: null,
    },
    {
      file: "apps/order/src/commands/uses-db.ts",
      source: 'import "../db/client.js";\nimport "@orderflow/db-kit";',
      fires: null,
    },
  ],
  "kafkajs outside packages/kafka": [
    { file: "apps/order/src/events/consumer.ts", source: 'import "kafkajs";', fires: "imports" },
    {
      file: "packages/db-kit/src/outbox.ts",
      source: 'import { Kafka } from "kafkajs";\nexport const k = Kafka;',
      fires: "imports",
    },
    { file: "infra/src/topics.ts", source: 'import "kafkajs";', fires: "imports" },
    { file: "packages/system-tests/test/kafka.ts", source: 'import "kafkajs";', fires: "imports" },
    {
      file: "packages/kafka/src/client.ts",
      source: 'import { Kafka } from "kafkajs";\nexport const k = Kafka;',
      fires: null,
    },
    { file: "packages/kafka/test/support.ts", source: 'import "kafkajs";', fires: null },
  ],
  "process.env outside env.ts": [
    { file: "apps/order/src/main.ts", source: "export const port = process.env.PORT;", fires: "env" },
    {
      file: "packages/kafka/src/brokers.ts",
      source: "export const brokers = process.env.KAFKA_BROKERS;",
      fires: "env",
    },
    { file: "infra/src/stack.ts", source: "export const dir = process.env.ORDERFLOW_STACK_DIR;", fires: "env" },
    { file: "apps/order/src/env.ts", source: "export const port = process.env.PORT;", fires: null },
    { file: "apps/order/test/support.ts", source: "export const url = process.env.DATABASE_URL;", fires: null },
    {
      file: "apps/order/src/commands/place.test.ts",
      source: "export const url = process.env.DATABASE_URL;",
      fires: null,
    },
  ],
  "a package imports an app": [
    { file: "packages/db-kit/src/by-name.ts", source: 'import "@orderflow/order";', fires: "imports" },
    { file: "packages/kafka/src/by-name.ts", source: 'import "@orderflow/outbox-relay";', fires: "imports" },
    { file: "infra/src/by-path.ts", source: 'import "../../apps/order/src/env.js";', fires: "imports" },
    { file: "packages/bench/src/by-path.ts", source: 'import "../../../apps/payment/src/main.js";', fires: "imports" },
    { file: "packages/db-kit/src/clean.ts", source: 'import "@orderflow/contracts";\nimport "./sql.js";', fires: null },
    // the end-to-end package starts the apps and tests their env schemas: it may import them
    {
      file: "packages/system-tests/test/apps.ts",
      source: 'import "../../../apps/order/src/env.js";\nimport "@orderflow/order";',
      fires: null,
    },
  ],
};

let tree: string;
let found: Map<string, Set<string>>;

beforeAll(() => {
  const files = Object.values(cases)
    .flat()
    .map((f) => f.file);
  expect(new Set(files).size, "each fixture has a file of its own").toBe(files.length);
  tree = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-boundaries-"));
  fs.copyFileSync(path.join(repoRoot, ".biome.jsonc"), path.join(tree, ".biome.jsonc"));
  for (const { file, source } of Object.values(cases).flat()) {
    fs.mkdirSync(path.join(tree, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), `${source}\n`);
  }
  // the throwaway tree is not a git repository: no VCS ignore file to read
  const r = spawnSync(
    process.execPath,
    [biome, "lint", "--vcs-enabled=false", "--reporter=json", "--max-diagnostics=none", "."],
    { cwd: tree, encoding: "utf8" },
  );
  const report = JSON.parse(r.stdout) as { diagnostics: { category: string; location?: { path?: string } }[] };
  found = new Map();
  for (const d of report.diagnostics) {
    const file = d.location?.path;
    if (!file) continue;
    if (!found.has(file)) found.set(file, new Set());
    found.get(file)!.add(d.category);
  }
}, 60_000);

afterAll(() => {
  if (tree) fs.rmSync(tree, { recursive: true, force: true });
});

describe.each(Object.entries(cases))("%s", (_, fixtures) => {
  it.each(fixtures.map((f) => [f.file, f] as const))("%s", (_file, { file, fires }) => {
    const boundaries = [...(found.get(file) ?? [])].filter((c) => Object.values(RULES).includes(c as never));
    expect(boundaries).toEqual(fires ? [RULES[fires]] : []);
  });
});
