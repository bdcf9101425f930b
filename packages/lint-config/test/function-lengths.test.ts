import { describe, expect, it } from "vitest";
import { longFunctions } from "../src/function-lengths.js";

const fn = (name: string, bodyLines: number) => `export function ${name}() {\n${"  work();\n".repeat(bodyLines)}}\n`;
const component = (rows: number) =>
  `export function Rows() {\n  return (\n    <ul>\n${"      <li>\n        row\n      </li>\n".repeat(rows)}    </ul>\n  );\n}\n`;

describe("longFunctions", () => {
  it("counts from the signature to the closing brace", () => {
    expect(longFunctions("a.ts", fn("fits", 78), 80)).toEqual([]); // 80 lines
    expect(longFunctions("a.ts", fn("over", 79), 80)).toEqual([{ file: "a.ts", line: 1, name: "over", lines: 81 }]);
  });

  it("counts a component's JSX line by line", () => {
    expect(longFunctions("c.tsx", component(30), 80)).toEqual([{ file: "c.tsx", line: 1, name: "Rows", lines: 96 }]);
  });

  it("names arrows by their binding and reports nested functions on their own", () => {
    const src = `export const outer = () => {\n  const inner = () => {\n${"    work();\n".repeat(85)}  };\n};\n`;
    expect(longFunctions("n.ts", src, 80).map((l) => [l.name, l.lines])).toEqual([
      ["outer", 89],
      ["inner", 87],
    ]);
  });
});
