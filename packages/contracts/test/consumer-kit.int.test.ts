// The package as another team gets it: packed with `pnpm pack`, installed with npm into a project
// in a temp dir outside the monorepo, and used from ESM, CommonJS, TypeScript (tsc --strict under
// NodeNext and Bundler) and a plain JSON Schema validator, on records that went through the real
// broker. npm's own cache (~/.npm) is reused with --prefer-offline: after the first run on a
// machine the install takes a few seconds.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageDir, runOk, runOkAsync } from "./scratch.js";

const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
// a topic prefix of its own: live services on the same broker never see these records
const prefix = `test-${randomUUID().slice(0, 8)}.`;
// what a consuming team would install beside the package (zod is the package's peer)
const THEIR_DEPENDENCIES = ["zod@4.6.7", "kafkajs@2.2.4", "typescript@5.9.3", "ajv@8.20.0", "ajv-formats@3.0.1"];

let tmp: string;
let project: string;
let tarball: string;
let tarFiles: string[];
let records: {
  sent: string[];
  records: {
    key: string;
    value: string;
    headers: Record<string, string>;
    esm: { ok: boolean; id?: string; dataKeys?: string[] };
  }[];
};
const timings: Record<string, number> = {};

async function timed<T>(what: string, f: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings[what] = Date.now() - t0;
  }
}
const node = (script: string, ...args: string[]) => runOk(process.execPath, [script, ...args], { cwd: project }).stdout;
const tsc = (config: string) =>
  runOkAsync(process.execPath, [path.join(project, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: project });

/** npm install as another team runs it, with the machine's CA and proxy settings (turbo.json
 *  passes them through: without NODE_EXTRA_CA_CERTS behind a TLS-inspecting proxy every request
 *  fails its certificate check and npm retries for minutes). An attempt that stalls is given up
 *  after 90 s and made again, three in all, the cache keeping what already arrived (a normal
 *  install takes seconds). */
function npmInstall(cwd: string, specs: string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      runOk(
        "npm",
        [
          "install",
          "--no-audit",
          "--no-fund",
          "--prefer-offline",
          "--loglevel=error",
          "--fetch-timeout=30000",
          "--fetch-retries=2",
          ...specs,
        ],
        { cwd, timeoutMs: 90_000 },
      );
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ETIMEDOUT" || attempt === 3) throw e;
    }
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "orderflow-consumer-kit-"));
  project = path.join(tmp, "project");
  const packDir = path.join(tmp, "pack");
  fs.mkdirSync(packDir);
  // prepack builds dist/ and checks generated/ first, as on a real publish
  await timed("pnpm pack", () => runOk("pnpm", ["pack", "--pack-destination", packDir], { cwd: packageDir }));
  tarball = path.join(packDir, fs.readdirSync(packDir).find((f) => f.endsWith(".tgz"))!);
  tarFiles = runOk("tar", ["-tzf", tarball], { cwd: tmp })
    .stdout.split("\n")
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ""))
    .sort();

  fs.cpSync(path.join(packageDir, "test", "consumer-kit"), project, { recursive: true });
  fs.writeFileSync(
    path.join(project, "package.json"),
    `${JSON.stringify({ name: "another-team", private: true, type: "module" }, null, 2)}\n`,
  );
  await timed("npm install", () => npmInstall(project, [tarball, ...THEIR_DEPENDENCIES]));
  // both typechecks (and the broker round trip, which needs neither) side by side
  await Promise.all([
    timed("tsc --strict (NodeNext ∥ Bundler)", () =>
      Promise.all([tsc("tsconfig.nodenext.json"), tsc("tsconfig.bundler.json")]),
    ),
    timed("broker round trip", () =>
      runOkAsync(process.execPath, ["roundtrip.mjs", brokers, prefix, "records.json"], { cwd: project }),
    ),
  ]);
  records = JSON.parse(fs.readFileSync(path.join(project, "records.json"), "utf8")) as typeof records;
}, 600_000);

afterAll(() => {
  console.log(
    `consumer kit: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`)
      .join(", ")}; tarball ${tarball ? (fs.statSync(tarball).size / 1024).toFixed(1) : "?"} kB`,
  );
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds the build, its types and maps, the source they point at, the schemas, licence and changelog; no tests", () => {
    expect(tarFiles).toEqual(
      expect.arrayContaining([
        "package.json",
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/index.d.ts.map",
        "dist/registry.js.map",
        "src/registry.ts",
        "generated/asyncapi.json",
        "generated/json-schema/OrderPlaced.v2.json",
        "generated/json-schema-producer/OrderPlaced.v2.json",
      ]),
    );
    expect(
      tarFiles.filter((f) => /\.test\.ts$|^test\/|^scripts\/|^compat\/|^src\/docs\/|^dist\/docs\//.test(f)),
    ).toEqual([]);
    // every declaration and source map resolves to a file in the tarball
    const unresolved: string[] = [];
    for (const map of tarFiles.filter((f) => f.endsWith(".map"))) {
      const { sources } = JSON.parse(
        fs.readFileSync(path.join(project, "node_modules/@orderflow/contracts", map), "utf8"),
      ) as { sources: string[] };
      for (const s of sources)
        if (!tarFiles.includes(path.posix.join(path.posix.dirname(map), s))) unresolved.push(`${map} → ${s}`);
    }
    expect(unresolved).toEqual([]);
  });

  it("is MIT licensed, has zod as a peer (^4) and nothing of the workspace in its manifest", () => {
    const manifest = fs.readFileSync(path.join(project, "node_modules/@orderflow/contracts/package.json"), "utf8");
    const pkg = JSON.parse(manifest) as {
      license?: string;
      peerDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
      exports: Record<string, unknown>;
    };
    expect(pkg.license).toBe("MIT");
    expect(pkg.peerDependencies).toEqual({ zod: "^4.0.0" });
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.exports["."]).toEqual({
      types: "./dist/index.d.ts",
      import: "./dist/index.js",
      default: "./dist/index.js",
    });
    expect(manifest).not.toContain("workspace:");
  });

  it("shares the consumer's zod: npm installs one copy", () => {
    const tree = JSON.parse(runOk("npm", ["ls", "zod", "--all", "--json"], { cwd: project }).stdout) as {
      dependencies: Record<string, { version: string; dependencies?: Record<string, { version: string }> }>;
    };
    expect(tree.dependencies.zod!.version).toBe("4.6.7");
    expect(tree.dependencies["@orderflow/contracts"]!.dependencies?.zod?.version ?? "4.6.7").toBe("4.6.7");
    // no copy of its own: the package's import "zod" finds the project's
    expect(fs.existsSync(path.join(project, "node_modules/@orderflow/contracts/node_modules"))).toBe(false);
    const zods = runOk(
      "find",
      ["node_modules", "-name", "package.json", "-path", "*/zod/package.json", "-not", "-path", "*/zod/*/*"],
      { cwd: project },
    )
      .stdout.trim()
      .split("\n");
    expect(zods).toEqual(["node_modules/zod/package.json"]);
  });
});

describe("decoding records read back from the broker", () => {
  it("read back both records: one as this version's producers send it, one with fields a newer producer added", () => {
    expect(records.records.map((r) => r.headers["event-id"])).toEqual(records.sent);
    expect(records.records[1]!.value).toContain('"giftWrap":true');
    expect(records.records[0]!.headers).toMatchObject({
      "event-type": "OrderPlaced",
      "event-version": "2",
      "content-type": "application/json",
      source: "consumer-kit",
    });
  });

  it("ESM: import { decodeEvent } decodes both (the unknown fields are dropped)", () => {
    expect(records.records.map((r) => r.esm)).toEqual(
      records.sent.map((id) => expect.objectContaining({ ok: true, id })),
    );
    expect(records.records[1]!.esm.dataKeys).not.toContain("giftWrap");
  });

  it("CommonJS: require('@orderflow/contracts') decodes both, with the caller's own zod", () => {
    const out = JSON.parse(node("decode.cjs", "records.json")) as {
      decoded: { ok: boolean; id: string; header: string }[];
      zodInstance: boolean;
      readerSchemaTitle: string;
    };
    expect(out.decoded).toEqual(
      records.sent.map((id) => expect.objectContaining({ ok: true, id, header: "OrderPlaced" })),
    );
    expect(out.zodInstance).toBe(true);
    expect(out.readerSchemaTitle).toBe("OrderPlaced v2");
  });

  it("TypeScript: tsc --strict passes under NodeNext and Bundler, and the NodeNext build (ESM and CJS) decodes both", () => {
    const out = JSON.parse(node("run-typescript.mjs", "records.json")) as { esm: string; cjs: string }[];
    expect(out).toEqual(
      [0, 1].map(() => ({
        esm: expect.stringMatching(/^ok .* placed: 2500 EUR, EXPRESS \(1 item\)$/),
        cjs: "OrderPlaced/OrderPlaced v2",
      })),
    );
  });

  it("plain JSON Schema (ajv, draft 2020-12), chosen by the headers: the reader schema accepts both, the producer schema refuses the added field", () => {
    const out = JSON.parse(node("decode-json-schema.mjs", "records.json")) as {
      id: string;
      reader: boolean;
      readerErrors: unknown;
      producer: boolean;
    }[];
    expect(out).toEqual([
      { id: records.sent[0], type: "OrderPlaced", version: "2", reader: true, readerErrors: [], producer: true },
      { id: records.sent[1], type: "OrderPlaced", version: "2", reader: true, readerErrors: [], producer: false },
    ]);
  });
});
