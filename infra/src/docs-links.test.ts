// Every relative link in README.md and docs/**/*.md must name a file that exists and, with a
// #fragment into a Markdown file, a heading of that file (GitHub's anchor rules).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) inFence = !inFence;
    const m = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The relative link targets of a Markdown text, outside code. */
function relativeLinks(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  const links: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    links.push(target);
  }
  return links;
}

const files = [join(root, "README.md"), ...markdownFiles(join(root, "docs"))];

describe("documentation links", () => {
  it.each(files.map((f) => [f.slice(root.length + 1), f]))("%s links resolve", (_name, file) => {
    const broken: string[] = [];
    for (const link of relativeLinks(readFileSync(file, "utf8"))) {
      const [path, fragment] = link.split("#", 2) as [string, string | undefined];
      const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link} (no such file)`);
        continue;
      }
      if (fragment && target.endsWith(".md") && !anchorsOf(readFileSync(target, "utf8")).has(fragment)) {
        broken.push(`${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("finds a broken link and a broken anchor", () => {
    expect(relativeLinks("[a](x.md#y) [b](https://e.org) `[c](z.md)`")).toEqual(["x.md#y"]);
    expect([...anchorsOf("## Where the time goes\n## Exactly once, at the edges")]).toEqual([
      "where-the-time-goes",
      "exactly-once-at-the-edges",
    ]);
  });
});
