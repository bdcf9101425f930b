// Starts the services as separate OS processes (their built dist/main.js, as a container would)
// against the local stack, collects their JSON logs, and waits for conditions instead of sleeping.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { LOCAL_DEV_AUTH } from "@orderflow/config";
import { dropDatabaseAndSlots } from "@orderflow/db-kit";
import { waitFor } from "@orderflow/infra/stack";
import { signToken } from "@orderflow/service-kit";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const logDir = path.join(repoRoot, ".stack", "test-logs");

const pgHost = process.env.PG_HOST ?? "127.0.0.1";
const pgPort = process.env.PG_PORT ?? "54329";
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
export const dbUrl = (db: string) => `postgresql://postgres@${pgHost}:${pgPort}/${db}`;

/** the processes a test can start; payment-provider is the card provider's simulator payment calls,
 *  order-projection the order app's second process (the read model) */
export type ServiceName =
  | "order"
  | "order-projection"
  | "payment"
  | "shipping"
  | "outbox-relay"
  | "ops-console"
  | "payment-provider";

/** This run's own topics, consumer groups and databases: it never meets \`pnpm dev\`'s services
 *  on the same stack, nor an earlier run's records. */
export const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
export const TOPIC_PREFIX = `e2e-${RUN}.`;

export const DATABASES: Record<
  Exclude<ServiceName, "outbox-relay" | "ops-console" | "payment-provider" | "order-projection">,
  string
> = {
  order: dbUrl(`e2e_${RUN}_order`),
  payment: dbUrl(`e2e_${RUN}_payment`),
  shipping: dbUrl(`e2e_${RUN}_shipping`),
};

const RELAY_DATABASES = Object.entries(DATABASES)
  .map(([name, url]) => `${name}=${url}`)
  .join(",");
/** slot names are cluster-wide: this run's relay reads slots of its own, never \`pnpm dev\`'s */
export const RELAY_SLOT_PREFIX = `e2e_${RUN}`;

export async function dropDatabases(): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl("postgres") });
  await c.connect();
  try {
    for (const url of Object.values(DATABASES)) await dropDatabaseAndSlots(c, new URL(url).pathname.slice(1));
  } finally {
    await c.end();
  }
}

/** vi.waitFor's options in the end-to-end tests: a hop through the saga takes a few seconds */
export const poll = { timeout: 30_000, interval: 100 };

/** Apply every service's migrations (creating its database), as its deploy entrypoint does. */
export function migrateAll(): void {
  for (const [svc, url] of Object.entries(DATABASES)) {
    const r = spawnSync("node", [path.join(repoRoot, "apps", svc, "dist", "migrate.js"), "deploy"], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`migrating ${svc} failed:\n${r.stdout}${r.stderr}`);
  }
}

export interface LogLine {
  level: string;
  msg: string;
  service?: string;
  [k: string]: unknown;
}

/** the built entry point a process runs, as its container's command does */
const entryPoint = (name: ServiceName) =>
  name === "order-projection"
    ? path.join(repoRoot, "apps", "order", "dist", "projection-main.js")
    : path.join(repoRoot, "apps", name, "dist", "main.js");

export class Service {
  readonly lines: LogLine[] = [];
  private exited: Promise<number | null>;
  exitCode: number | null | undefined;

  private constructor(
    readonly name: ServiceName,
    readonly port: number,
    readonly proc: ChildProcess,
  ) {
    fs.mkdirSync(logDir, { recursive: true });
    const file = fs.createWriteStream(path.join(logDir, `${name}-${port}.log`), { flags: "a" });
    let buf = "";
    const onData = (chunk: Buffer) => {
      file.write(chunk);
      buf += chunk.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ level: "raw", msg: line });
        }
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    this.exited = new Promise((resolve) =>
      proc.once("exit", (code) => {
        this.exitCode = code;
        file.end();
        resolve(code);
      }),
    );
  }

  static async start(name: ServiceName, port: number, env: Record<string, string> = {}): Promise<Service> {
    // SERVICE_NODE_ARGS: extra node flags for every service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
    const nodeArgs = (process.env.SERVICE_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const proc = spawn("node", [...nodeArgs, entryPoint(name)], {
      env: {
        ...process.env,
        PORT: String(port),
        KAFKA_BROKERS,
        KAFKA_TOPIC_PREFIX: TOPIC_PREFIX,
        LOG_LEVEL: "debug",
        // the lines are parsed as JSON, whatever a developer's shell exports
        LOG_FORMAT: "json",
        ...(name === "outbox-relay"
          ? { RELAY_DATABASES, RELAY_SLOT_PREFIX }
          : name === "ops-console" || name === "payment-provider"
            ? {}
            : name === "order-projection"
              ? { DATABASE_URL: DATABASES.order, PROJECTION_PORT: String(port) }
              : { DATABASE_URL: DATABASES[name] }),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const s = new Service(name, port, proc);
    return s;
  }

  url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  async ready(timeoutMs = 60_000): Promise<this> {
    await waitFor(
      `${this.name} /readyz`,
      async () => {
        if (this.exitCode !== undefined) throw new Error(`${this.name} exited with ${this.exitCode}: ${this.tail()}`);
        const r = await fetch(this.url("/readyz"));
        return r.status === 200;
      },
      timeoutMs,
    );
    return this;
  }

  /** log lines matching every given field */
  find(match: Record<string, unknown>): LogLine[] {
    return this.lines.filter((l) => Object.entries(match).every(([k, v]) => l[k] === v));
  }

  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join("\n");
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.exitCode === undefined) this.proc.kill(signal);
    return this.exited;
  }

  waitExit(): Promise<number | null> {
    return this.exited;
  }
}

/** A token with every scope, signed with the local development key the services fall back to. */
export const AUTHORIZATION = `Bearer ${await signToken(LOCAL_DEV_AUTH, { subject: "system-tests", scopes: ["orders:read", "orders:write", "ops"], ttlSeconds: 24 * 3600 })}`;

// biome-ignore lint/suspicious/noExplicitAny: the answer's shape is what the test checks; a caller names T where it wants one
export async function getJson<T = any>(url: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { headers: { authorization: AUTHORIZATION } });
  return { status: r.status, body: (await r.json()) as T };
}

// biome-ignore lint/suspicious/noExplicitAny: the answer's shape is what the test checks; a caller names T where it wants one
export async function postJson<T = any>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: AUTHORIZATION, ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
}

export function anOrder(overrides: Partial<{ customerId: string; unitPrice: number; quantity: number }> = {}) {
  return {
    customerId: overrides.customerId ?? "customer-e2e",
    items: [
      { sku: "BOOK-1", quantity: overrides.quantity ?? 2, unitPrice: overrides.unitPrice ?? 1250 },
      { sku: "PEN-7", quantity: 1, unitPrice: 500 },
    ],
    currency: "EUR",
    shippingAddress: {
      name: "Ada Lovelace",
      line1: "1 Main Street",
      city: "Berlin",
      postalCode: "10115",
      country: "DE",
    },
  };
}
