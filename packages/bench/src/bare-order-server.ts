// The best a Node.js service can do for POST /orders on this machine, for the benchmark's side-by-
// side row: node:http, one pg pool, JSON.parse, the same single INSERT statement the order service
// sends (event + outbox row), 202 with the id. No express, Prisma, zod, JWT, logging or metrics.
// Started as a process of its own: `node --import tsx src/bare-order-server.ts <port> <database url>`.
import { randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";

const [port, url] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });

const SQL = `WITH appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at) VALUES ($1::uuid, 1, $2::uuid, 'OrderPlaced', 2, $3::jsonb, $4, NULL, $5::timestamptz))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES ($2::uuid, $1, 'order-events', $1, 'OrderPlaced', $6::jsonb, $7::jsonb)`;

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/orders") {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    void (async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { customerId: string; items: { quantity: number; unitPrice: number }[] };
      const orderId = randomUUID();
      const eventId = randomUUID();
      const occurredAt = new Date().toISOString();
      const correlationId = (req.headers["correlation-id"] as string | undefined) ?? randomUUID();
      const data = { ...body, orderId, shippingSpeed: "STANDARD", totalAmount: body.items.reduce((n, i) => n + i.quantity * i.unitPrice, 0) };
      const event = { id: eventId, type: "OrderPlaced", version: 2, occurredAt, aggregateId: orderId, correlationId, causationId: null, source: "order", data };
      const headers = { "event-id": eventId, "event-type": "OrderPlaced", "event-version": "2", "correlation-id": correlationId, source: "order", "content-type": "application/json" };
      await pool.query(SQL, [orderId, eventId, JSON.stringify(data), correlationId, occurredAt, JSON.stringify(event), JSON.stringify(headers)]);
      res.writeHead(202, { "content-type": "application/json", location: `/orders/${orderId}` }).end(JSON.stringify({ orderId, status: "PLACED" }));
    })().catch((e: Error) => res.writeHead(500).end(e.message));
  });
});
server.listen(Number(port), () => process.stdout.write(`listening on ${port}\n`));
process.on("SIGTERM", () => server.close(() => void pool.end().then(() => process.exit(0))));
