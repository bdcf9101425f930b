// Shared vitest projects. Test files are named by their cost:
//   *.test.ts      pure and fast, no I/O
//   *.int.test.ts  against the real Kafka broker and PostgreSQL of the local stack
//   *.e2e.test.ts  across separately started service processes
// `vitest run --project unit` runs only the fast ones.
import { defineConfig } from "vitest/config";

/** @param {{ slowTimeoutMs?: number }} [opts] */
export function orderflowVitest(opts = {}) {
  const slow = opts.slowTimeoutMs ?? 120_000;
  return defineConfig({
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: "unit",
            include: ["src/**/*.test.ts", "test/**/*.test.ts"],
            exclude: ["**/*.int.test.ts", "**/*.e2e.test.ts", "**/node_modules/**", "**/dist/**"],
          },
        },
        {
          extends: true,
          test: {
            name: "int",
            include: ["src/**/*.int.test.ts", "test/**/*.int.test.ts", "test/**/*.e2e.test.ts"],
            testTimeout: slow,
            hookTimeout: slow,
            // integration tests share one broker and one database server: run files one at a time
            fileParallelism: false,
          },
        },
      ],
    },
  });
}
