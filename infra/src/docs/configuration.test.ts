import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIGURATION_MD, renderConfiguration } from "./configuration.js";

describe("docs/configuration.md", () => {
  it("is what the env schemas generate (run pnpm docs:config after changing one)", async () => {
    expect(readFileSync(CONFIGURATION_MD, "utf8")).toBe(await renderConfiguration());
  });

  it("describes every variable", async () => {
    const undescribed = (await renderConfiguration())
      .split("\n")
      .filter((l) => l.startsWith("| `") && l.endsWith("|  |"));
    expect(undescribed).toEqual([]);
  });
});
