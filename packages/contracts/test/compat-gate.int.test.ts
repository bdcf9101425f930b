// The compatibility gate on real edits of the zod source (in a copy of the package, see
// scratch.ts): an added optional field passes; a breaking edit fails, naming event and field,
// until a major changeset is pending; a release (`changeset version`, then compat:release) moves
// the version and the released snapshot together.
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageDir, repoRoot, runOk, scratchRepo, type ScratchRepo } from "./scratch.js";

const released = (
  JSON.parse(fs.readFileSync(path.join(packageDir, "compat/released.json"), "utf8")) as { version: string }
).version;
const nextMajor = `${Number(released.split(".")[0]) + 1}.0.0`;
const changeset = (bump: "major" | "minor" | "patch", summary: string) =>
  `---\n"@orderflow/contracts": ${bump}\n---\n\n${summary}\n`;
const removePaymentId = (repo: ScratchRepo) =>
  repo.replace(
    "src/events.ts",
    "export const OrderPaidV1 = z.object({\n  orderId: OrderId,\n  paymentId: z.uuid(),",
    "export const OrderPaidV1 = z.object({\n  orderId: OrderId,",
  );

let repo: ScratchRepo | undefined;
afterEach(() => repo?.remove());

describe("pnpm --filter @orderflow/contracts compat, on edits of the zod source", () => {
  it("passes an added optional field", () => {
    repo = scratchRepo("contracts-compat");
    repo.replace(
      "src/events.ts",
      "detail: z.string().max(500).optional(),",
      "detail: z.string().max(500).optional(),\n  requestedBy: z.string().max(100).optional(),",
    );
    const r = repo.contracts("compat");
    expect(r.out).toContain(`compatible with the released contracts ${released}`);
    expect(r.status).toBe(0);
  });

  it("fails a breaking edit, naming event, field and rule, and says a major version is needed", () => {
    repo = scratchRepo("contracts-compat");
    removePaymentId(repo);
    repo.replace("src/events.ts", 'z.enum(["PAYMENT_DECLINED", "CUSTOMER_REQUESTED"])', 'z.enum(["PAYMENT_DECLINED"])');
    const r = repo.contracts("compat");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`2 breaking change(s) against the released contracts ${released}:`);
    expect(r.stderr).toContain("OrderPaid.v1: data.paymentId: field removed  [removed-field]");
    expect(r.stderr).toContain(
      'OrderCancelled.v1: data.reason: enum narrowed, "CUSTOMER_REQUESTED" no longer allowed  [narrowed-enum]',
    );
    expect(r.stderr).toContain("A breaking change needs a major version, and the pending release is none");

    // a minor changeset is not enough
    repo.writeRoot(".changeset/drop-payment-id.md", changeset("minor", "OrderPaid v1 no longer carries paymentId."));
    const minor = repo.contracts("compat");
    expect(minor.status).toBe(1);
    expect(minor.stderr).toMatch(/the pending release is \d+\.\d+\.0 \(minor\)/);
  });

  it("allows it with a pending major changeset, and a release moves version and snapshot together", () => {
    repo = scratchRepo("contracts-compat");
    removePaymentId(repo);
    repo.writeRoot(".changeset/drop-payment-id.md", changeset("major", "OrderPaid v1 no longer carries paymentId."));
    const allowed = repo.contracts("compat");
    expect(allowed.out).toContain(`allowed: the pending release ${nextMajor} is a major version`);
    expect(allowed.out).toContain("OrderPaid.v1: data.paymentId: field removed");
    expect(allowed.status).toBe(0);

    // `changeset version` bumps the package and writes the changelog ...
    runOk(process.execPath, [path.join(repoRoot, "node_modules", "@changesets", "cli", "bin.js"), "version"], {
      cwd: repo.root,
    });
    expect(JSON.parse(repo.read("package.json")).version).toBe(nextMajor);
    expect(repo.read("CHANGELOG.md")).toMatch(
      new RegExp(
        `## ${nextMajor.replace(/\./g, "\\.")}\\s+### Major Changes\\s+- OrderPaid v1 no longer carries paymentId\\.`,
      ),
    );
    // ... and until compat:release records the snapshot, the gate says the release is unfinished
    const unfinished = repo.contracts("compat");
    expect(unfinished.status).toBe(1);
    expect(unfinished.stderr).toContain(
      `compat/released.json records the contracts ${released}, but the package's last released version (package.json) is ${nextMajor}`,
    );

    expect(repo.contracts("release").out).toContain(
      `recorded the contracts ${nextMajor} as released (previously ${released}; 1 breaking change(s), a major version)`,
    );
    expect(JSON.parse(repo.read("compat/released.json")).version).toBe(nextMajor);
    expect(JSON.parse(repo.read("generated/asyncapi.json")).info.version).toBe(nextMajor);
    expect(repo.contracts("compat").out).toContain(`compatible with the released contracts ${nextMajor}`);
    expect(repo.contracts("check").status).toBe(0);
  });

  it("compat:release refuses to record a breaking change under a version that is not a major one", () => {
    repo = scratchRepo("contracts-compat");
    removePaymentId(repo);
    repo.replace(
      "package.json",
      `"version": "${released}"`,
      `"version": "${released.replace(/\.(\d+)\.\d+$/, (_, minor: string) => `.${Number(minor) + 1}.0`)}"`,
    );
    const r = repo.contracts("release");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("is not a major version, but it has 1 breaking change(s):");
    expect(JSON.parse(repo.read("compat/released.json")).version).toBe(released);
  });
});
