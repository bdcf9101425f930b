// turbo's `generate` for the contracts hashes the zod source and the generator and caches
// generated/: an edit to a schema misses the cache and regenerates the artefacts, and going back
// restores the old artefacts from the cache. Runs turbo on a copy of the package (see scratch.ts).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runOk, scratchRepo, type ScratchRepo } from "./scratch.js";

const turbo = path.join(repoRoot, "node_modules", ".bin", "turbo");
const env = { TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", TURBO_UI: "false", NO_COLOR: "1" };
let repo: ScratchRepo;

const generate = () => runOk(turbo, ["run", "generate", "--output-logs=new-only"], { cwd: repo.root, env }).out;
const hash = () => {
  const dry = JSON.parse(runOk(turbo, ["run", "generate", "--dry=json"], { cwd: repo.root, env }).stdout) as {
    tasks: { taskId: string; hash: string; inputs: Record<string, string>; outputs: string[] }[];
  };
  return dry.tasks.find((t) => t.taskId === "@orderflow/contracts#generate")!;
};
const cacheLine = (out: string) => /cache (hit|miss)[^\n]*/.exec(out)?.[0] ?? out;

beforeAll(() => {
  repo = scratchRepo("contracts-turbo");
  generate(); // first run in a fresh copy: whatever pnpm or turbo settle on the first time
});
afterAll(() => repo?.remove());

describe("turbo run generate (packages/contracts/turbo.json)", () => {
  it("hashes src/** and scripts/** (not the tests) and caches generated/**", () => {
    const t = hash();
    expect(t.outputs).toEqual(["generated/**"]);
    expect(Object.keys(t.inputs)).toEqual(
      expect.arrayContaining([
        "src/events.ts",
        "src/registry.ts",
        "src/docs/json-schema.ts",
        "scripts/contracts.ts",
        "package.json",
      ]),
    );
    expect(Object.keys(t.inputs).filter((f) => f.endsWith(".test.ts"))).toEqual([]);
    expect(cacheLine(generate())).toMatch(/^cache hit/);
  });

  it("regenerates when a schema changes, and restores the old artefacts when it changes back", () => {
    const before = hash().hash;
    const reader = "generated/json-schema/OrderPaid.v1.json";
    const producer = "generated/json-schema-producer/OrderPaid.v1.json";
    const original = repo.read("src/events.ts");
    expect(repo.read(reader)).not.toContain("paidWith");

    repo.replace(
      "src/events.ts",
      "  paymentId: z.uuid(),\n  amount: MinorUnits,\n  currency: Currency,\n  /**",
      '  paymentId: z.uuid(),\n  amount: MinorUnits,\n  currency: Currency,\n  paidWith: z.enum(["CARD", "INVOICE"]).optional(),\n  /**',
    );
    const edited = hash().hash;
    expect(edited).not.toBe(before);
    expect(cacheLine(generate())).toMatch(/^cache miss, executing/);
    expect(JSON.parse(repo.read(reader)).properties.data.properties.paidWith).toEqual({
      type: "string",
      enum: ["CARD", "INVOICE"],
    });
    expect(JSON.parse(repo.read(producer)).properties.data.properties.paidWith).toBeDefined();
    expect(
      runOk(`${repo.pkg}/node_modules/.bin/tsx`, ["scripts/contracts.ts", "check"], { cwd: repo.pkg }).out,
    ).toMatch(/up to date/);

    // a test file is not an input
    repo.replace("src/registry.test.ts", "describe(", "// touched\ndescribe(");
    expect(hash().hash).toBe(edited);

    // back to the released source: the same hash as before, and the cache restores its artefacts
    repo.writeRoot("packages/contracts/src/events.ts", original);
    expect(hash().hash).toBe(before);
    expect(cacheLine(generate())).toMatch(/^cache hit/);
    expect(repo.read(reader)).not.toContain("paidWith");
  });
});
