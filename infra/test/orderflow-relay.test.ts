// `pnpm orderflow relay` against a relay's GET /status served here: what an operator reads.
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RelayStatus } from "@orderflow/http-api/relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/orderflow.ts");
const status: RelayStatus = {
  databases: [
    {
      database: "order",
      mode: "wal",
      leader: true,
      reachable: true,
      backlog: 3,
      oldestPendingSeconds: 0.4,
      publishedPerSecond: 120,
      slot: { name: "orderflow_relay_order", exists: true, lagBytes: 81920, lagSeconds: 0.25 },
    },
    {
      database: "payment",
      mode: "poll",
      leader: false,
      reachable: true,
      backlog: 0,
      oldestPendingSeconds: 0,
      publishedPerSecond: 0,
    },
  ],
};
const server = http.createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(req.url === "/status" ? status : {}));
});

async function orderflow(...args: string[]) {
  const { port } = server.address() as AddressInfo;
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", cli, ...args], {
    env: { ...process.env, RELAY_URL: `http://127.0.0.1:${port}` },
  });
  return stdout;
}

beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("pnpm orderflow relay", () => {
  it("prints each database's mode, leader and, in wal mode, its slot's lag", async () => {
    const out = await orderflow("relay");
    expect(out).toMatch(/slot lag bytes\s+slot lag s/);
    expect(out).toMatch(/order\s+wal\s+true\s+true\s+3\s+0\.4\s+120\s+orderflow_relay_order\s+81920\s+0\.25/);
    expect(out).toMatch(/payment\s+poll\s+false\s+true\s+0\s+0\s+0\s+-\s+-\s+-/);
    const json = JSON.parse(await orderflow("relay", "--json"));
    expect(json[0]).toMatchObject({ database: "order", "slot lag bytes": 81920, "slot lag s": 0.25 });
  }, 30_000); // two CLI processes, each compiling the CLI with tsx
});
