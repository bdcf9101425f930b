import net from "node:net";
import type { Publisher } from "@orderflow/kafka";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { WalStream } from "./wal-stream.js";

describe("a replication stream", () => {
  it("stops, and its run returns, when stopped while its connection is being made", async () => {
    // a server that accepts the connection and never answers the startup packet
    const sockets: net.Socket[] = [];
    let closed = 0;
    const server = net.createServer((s) => {
      sockets.push(s);
      s.resume(); // reads (and drops) the startup packet, so the socket's end is seen
      s.on("close", () => closed++);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const stream = new WalStream({
        url: `postgres://relay:secret@127.0.0.1:${port}/orders`,
        slot: "orderflow_relay_orders",
        confirmedFrom: 0n,
        publisher: {} as Publisher,
        log: pino({ level: "silent" }),
        batchSize: 10,
      });
      const running = stream.run().then(
        () => "returned",
        (e: unknown) => `failed: ${String(e)}`,
      );
      await vi.waitFor(() => expect(sockets, "the connection made").toHaveLength(1));
      await stream.stop();
      expect(await running).toBe("returned");
      await vi.waitFor(() => expect(closed, "the connection closed").toBe(1));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
