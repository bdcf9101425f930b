// Integration-test support: a fresh, migrated database of the payment service on the local stack.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migratedDatabases } from "@orderflow/db-kit";

export const freshDatabase = migratedDatabases(
  new URL("../prisma/migrations/", import.meta.url),
  process.env.PG_ADMIN_URL,
);

/** The payment provider simulator as the separate process it is in production's place (its built
 *  dist/main.js, as a container runs it), on a port of its own. */
export async function startProvider(env: Record<string, string> = {}): Promise<{
  url: string;
  requests(orderId?: string): Promise<ProviderRecord[]>;
  faults(f: Partial<{ latencyMs: number; errorRate: number; lostAnswerRate: number }>): Promise<void>;
  stop(): Promise<void>;
}> {
  const port = 40_000 + Math.floor(Math.random() * 9_000);
  const main = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    "..",
    "..",
    "payment-provider",
    "dist",
    "main.js",
  );
  const proc = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: "warn", PROVIDER_LOST_ANSWER_HOLD_MS: "0", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the payment provider exited with ${proc.exitCode}`);
    const up = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`the payment provider did not come up on ${url}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    requests: async (orderId) =>
      (
        (await (await fetch(`${url}/v1/requests${orderId ? `?orderId=${orderId}` : ""}`)).json()) as {
          requests: ProviderRecord[];
        }
      ).requests,
    faults: async (f) =>
      void (await fetch(`${url}/admin/faults`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(f),
      })),
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

export interface ProviderRecord {
  key: string;
  operation: "authorization" | "refund";
  orderId: string;
  paymentId: string;
  amount: number;
  status: string;
  presentedCount: number;
}
