// The reliability suite (`pnpm reliability`): faults injected into a private 3-broker cluster and
// PostgreSQL of its own (ports below), the four services as processes, invariants after each fault.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "reliability",
    include: ["reliability/**/*.rel.test.ts"],
    // the harness reads these when it is imported: the private stack of reliability/world.ts
    env: { KAFKA_BROKERS: "127.0.0.1:31092,127.0.0.1:31094,127.0.0.1:31096", PG_PORT: "31432" },
    testTimeout: 30 * 60_000,
    hookTimeout: 10 * 60_000,
    fileParallelism: false,
    // one fault after another on one world: later faults build on the state earlier ones left
    sequence: { concurrent: false },
  },
});
