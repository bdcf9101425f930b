// Functions longer than a limit, counted as the lines a reader scrolls through: from the first
// line of the signature to the closing brace. Biome's noExcessiveLinesPerFunction counts only
// line breaks between tokens of the body, so a React component's JSX hardly counts there.
//   tsx src/function-lengths.ts [--max 80] [--fail] [paths…]   (default: the source folders)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

const SOURCE_FOLDERS = ["apps/*/src", "apps/*/web/src", "packages/*/src", "infra/src"];

function nameOf(fn: ts.SignatureDeclaration): string {
  if (fn.name) return fn.name.getText();
  const p = fn.parent;
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText();
  if (ts.isCallExpression(p)) return `(callback of ${p.expression.getText().slice(0, 40)})`;
  return "(anonymous)";
}

/** every function in `source` longer than `max` lines, nested ones included */
export function longFunctions(file: string, source: string, max: number): LongFunction[] {
  const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.end).line;
      if (last - first + 1 > max) found.push({ file, line: first + 1, name: nameOf(node), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sourceFiles(root: string, paths: string[]): string[] {
  const listed = execFileSync("git", ["ls-files", "--", ...paths.map((p) => `${p}/**`)], {
    cwd: root,
    encoding: "utf8",
  });
  return listed.split("\n").filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.includes("/generated/"));
}

function main(argv: string[]): number {
  const flag = (name: string) => argv.indexOf(`--${name}`);
  const max = flag("max") >= 0 ? Number(argv[flag("max") + 1]) : 80;
  const paths = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--max");
  const root = execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim();
  const long = sourceFiles(root, paths.length > 0 ? paths : SOURCE_FOLDERS).flatMap((f) =>
    longFunctions(f, fs.readFileSync(path.join(root, f), "utf8"), max),
  );
  for (const l of long) console.log(`${l.file}:${l.line} ${l.name}: ${l.lines} lines`);
  console.log(`functions over ${max} lines: ${long.length}`);
  return long.length > 0 && flag("fail") >= 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));
