// The best a Node.js service can do for POST /orders on this machine, for the benchmark's side-by-
// side row: node:http, one pg pool, JSON.parse, the statements the order service sends, 202 with
// the id. No express, Prisma, zod, JWT, logging or metrics. Without an Idempotency-Key: the single
// INSERT (event + outbox row). With one: the order service's keyed transaction (BEGIN; the key's
// advisory lock and stored answer in one SELECT; the same INSERT; the key's answer; COMMIT), a
// stored answer replayed, under the subject "anonymous" (no auth here).
// Started as a process of its own: `node --import tsx src/bare-order-server.ts <port> <database url>`.
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";

const [port, url] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });

const SQL = `WITH appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at) VALUES ($1::uuid, 1, $2::uuid, 'OrderPlaced', 2, $3::jsonb, $4, NULL, $5::timestamptz))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES ($2::uuid, $1, 'order-events', $1, 'OrderPlaced', $6::jsonb, $7::jsonb)`;

// the order service's (apps/order/src/db/idempotency.ts)
const CLAIM = `SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)) AS locked,
  (SELECT json_build_object('fingerprint', fingerprint, 'status', status, 'location', location, 'body', body) FROM idempotency_keys WHERE subject = $1 AND key = $2 AND expires_at > now()) AS stored`;
const STORE = `INSERT INTO idempotency_keys (subject, key, fingerprint, status, location, body, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6::jsonb, now() + $7 * interval '1 millisecond')
  ON CONFLICT (subject, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location,
    body = EXCLUDED.body, created_at = now(), expires_at = EXCLUDED.expires_at`;
const TTL_MS = 24 * 3600_000;

type Answer = { status: number; location: string; body: unknown };

async function place(raw: Buffer, correlationId: string, q: pg.Pool | pg.PoolClient): Promise<Answer> {
  const body = JSON.parse(raw.toString("utf8")) as { customerId: string; items: { quantity: number; unitPrice: number }[]; currency: string };
  const orderId = randomUUID();
  const eventId = randomUUID();
  const occurredAt = new Date().toISOString();
  const totalAmount = body.items.reduce((n, i) => n + i.quantity * i.unitPrice, 0);
  const data = { ...body, orderId, shippingSpeed: "STANDARD", totalAmount };
  const event = { id: eventId, type: "OrderPlaced", version: 2, occurredAt, aggregateId: orderId, correlationId, causationId: null, source: "order", data };
  const headers = { "event-id": eventId, "event-type": "OrderPlaced", "event-version": "2", "correlation-id": correlationId, source: "order", "content-type": "application/json" };
  await q.query(SQL, [orderId, eventId, JSON.stringify(data), correlationId, occurredAt, JSON.stringify(event), JSON.stringify(headers)]);
  return { status: 202, location: `/orders/${orderId}`, body: { orderId, status: "PLACED", totalAmount, currency: body.currency } };
}

async function placeOnce(raw: Buffer, correlationId: string, key: string): Promise<Answer> {
  const fingerprint = createHash("sha256").update("POST /orders\n").update(raw).digest("base64url");
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const [claim] = (await c.query<{ locked: boolean; stored: (Answer & { fingerprint: string }) | null }>(CLAIM, ["anonymous", key])).rows;
    if (!claim?.locked) throw Object.assign(new Error("key in flight"), { status: 409 });
    if (claim.stored) {
      await c.query("COMMIT");
      if (claim.stored.fingerprint !== fingerprint) throw Object.assign(new Error("key reused"), { status: 422 });
      return claim.stored;
    }
    const answer = await place(raw, correlationId, c);
    await c.query(STORE, ["anonymous", key, fingerprint, answer.status, answer.location, JSON.stringify(answer.body), TTL_MS]);
    await c.query("COMMIT");
    return answer;
  } catch (e) {
    await c.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/orders") {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    void (async () => {
      const correlationId = (req.headers["correlation-id"] as string | undefined) ?? randomUUID();
      const key = req.headers["idempotency-key"] as string | undefined;
      const raw = Buffer.concat(chunks);
      const a = key === undefined ? await place(raw, correlationId, pool) : await placeOnce(raw, correlationId, key);
      res.writeHead(a.status, { "content-type": "application/json", location: a.location }).end(JSON.stringify(a.body));
    })().catch((e: Error & { status?: number }) => res.writeHead(e.status ?? 500).end(e.message));
  });
});
server.listen(Number(port), () => process.stdout.write(`listening on ${port}\n`));
process.on("SIGTERM", () => server.close(() => void pool.end().then(() => process.exit(0))));
