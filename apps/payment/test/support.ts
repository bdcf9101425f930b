// Integration-test support: a fresh, migrated database of the payment service on the local stack.
import { type ChildProcess, spawn } from "node:child_process";
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
  // a random port can be taken at that moment (a client's ephemeral port): then another one
  for (let attempt = 1; ; attempt++) {
    const started = await spawnProvider(40_000 + Math.floor(Math.random() * 9_000), env);
    if ("proc" in started) return providerClient(started.url, started.proc);
    if (attempt === 5 || !started.output.includes("EADDRINUSE")) throw new Error(started.output);
  }
}

type Spawned = { url: string; proc: ChildProcess } | { output: string };

async function spawnProvider(port: number, env: Record<string, string>): Promise<Spawned> {
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
    stdio: ["ignore", "pipe", "inherit"],
  });
  // its warnings and a failed start (LOG_LEVEL=warn): kept to say why it exited
  let output = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) return { output: `the payment provider exited with ${proc.exitCode}: ${output}` };
    const up = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, proc };
    if (Date.now() > deadline) throw new Error(`the payment provider did not come up on ${url}: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function providerClient(url: string, proc: ChildProcess) {
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null) resolve();
    else proc.once("exit", () => resolve());
  });
  return {
    url,
    requests: async (orderId?: string) =>
      (
        (await (await fetch(`${url}/v1/requests${orderId ? `?orderId=${orderId}` : ""}`)).json()) as {
          requests: ProviderRecord[];
        }
      ).requests,
    faults: async (f: Partial<{ latencyMs: number; errorRate: number; lostAnswerRate: number }>) =>
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
