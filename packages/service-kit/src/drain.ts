// The HTTP server's side of a graceful shutdown: a drain during which /readyz answers 503 (load
// balancers stop sending) while every request is still served, then a close that refuses new
// connections and waits for the requests in flight.
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";

export interface DrainableServer {
  readonly server: Server;
  /** From now on /readyz answers 503 `{"status":"draining"}` and every answer carries
   *  `Connection: close`, so keep-alive clients reconnect elsewhere; everything else is served. */
  startDrain(): void;
  /** Stops accepting connections; resolves once the requests in flight have been answered and
   *  their connections closed. */
  close(): Promise<void>;
}

const READYZ = "/readyz";

/** An HTTP server for `handler` (an express app) that can drain before it closes. */
export function drainableServer(handler: RequestListener): DrainableServer {
  let draining = false;
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (draining) {
      res.setHeader("connection", "close");
      if (req.url?.split("?")[0] === READYZ) {
        res.writeHead(503, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ status: "draining", checks: {} }));
        return;
      }
    }
    inFlight.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      // an answer sent before the drain began keeps its connection alive: close it now it is idle
      if (closing) server.closeIdleConnections();
    });
    handler(req, res);
  });
  return {
    server,
    startDrain() {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
    },
    close() {
      draining = true;
      closing = true;
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
    },
  };
}
