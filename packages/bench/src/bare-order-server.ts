// The best a Node.js service can do for POST /orders on the machine it runs on, for the benchmark's side-by-
// side row: node:http, one pg pool, JSON.parse, the statements the order service sends, 202 with
// the id. No express, Prisma, zod, JWT, logging or metrics. Without an Idempotency-Key: the single
// INSERT (event + outbox row). With one: the order service's keyed statement (the key's advisory
// lock, its answer stored unless a live one is there, the same INSERT only if the claim held), a
// taken key's stored answer read and replayed, under the subject "anonymous" (no auth here).
// Started as a process of its own: `node --import tsx src/bare-order-server.ts <port> <database url>`.
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";
import { KEY_CLAIM_CTES } from "./keyed-claim.js";

const [port, url] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });

const SQL = `WITH appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at) VALUES ($1::uuid, 1, $2::uuid, 'OrderPlaced', 2, $3::jsonb, $4, NULL, $5::timestamptz))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES ($2::uuid, $1, 'order-events', $1, 'OrderPlaced', $6::jsonb, $7::jsonb)`;

// the order service's (apps/order/src/db/event-store.ts startStreams with db/idempotency.ts claimKeysSql)
const KEYED = `WITH key_req AS (
  SELECT $8::uuid AS order_id, $9::text AS subject, $10::text AS key, $11::text AS fingerprint, $12::int AS status, $13::text AS location, $14::jsonb AS body, $15::bigint AS ttl_ms,
         pg_try_advisory_xact_lock(hashtextextended($9 || ' ' || $10, 0)) AS locked),
${KEY_CLAIM_CTES},
appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)
  SELECT $1::uuid, 1, $2::uuid, 'OrderPlaced', 2, $3::jsonb, $4, NULL, $5::timestamptz WHERE $1::uuid NOT IN (SELECT order_id FROM key_refused)),
outboxed AS (INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers)
  SELECT $2::uuid, $1, 'order-events', $1, 'OrderPlaced', $6::jsonb, $7::jsonb WHERE $1::uuid NOT IN (SELECT order_id FROM key_refused))
SELECT locked FROM key_refused`;
const STORED = `SELECT fingerprint, status, location, body FROM idempotency_keys WHERE subject = $1 AND key = $2 AND expires_at > now()`;
const TTL_MS = 24 * 3600_000;

type Answer = { status: number; location: string; body: unknown };

function newOrder(raw: Buffer, correlationId: string) {
  const body = JSON.parse(raw.toString("utf8")) as {
    customerId: string;
    items: { quantity: number; unitPrice: number }[];
    currency: string;
  };
  const orderId = randomUUID();
  const eventId = randomUUID();
  const occurredAt = new Date().toISOString();
  const totalAmount = body.items.reduce((n, i) => n + i.quantity * i.unitPrice, 0);
  const data = { ...body, orderId, shippingSpeed: "STANDARD", totalAmount };
  const event = {
    id: eventId,
    type: "OrderPlaced",
    version: 2,
    occurredAt,
    aggregateId: orderId,
    correlationId,
    causationId: null,
    source: "order",
    data,
  };
  const headers = {
    "event-id": eventId,
    "event-type": "OrderPlaced",
    "event-version": "2",
    "correlation-id": correlationId,
    source: "order",
    "content-type": "application/json",
  };
  const answer: Answer = {
    status: 202,
    location: `/orders/${orderId}`,
    body: { orderId, status: "PLACED", totalAmount, currency: body.currency },
  };
  return {
    answer,
    values: [
      orderId,
      eventId,
      JSON.stringify(data),
      correlationId,
      occurredAt,
      JSON.stringify(event),
      JSON.stringify(headers),
    ],
  };
}

async function place(raw: Buffer, correlationId: string): Promise<Answer> {
  const o = newOrder(raw, correlationId);
  await pool.query(SQL, o.values);
  return o.answer;
}

async function placeOnce(raw: Buffer, correlationId: string, key: string): Promise<Answer> {
  const fingerprint = createHash("sha256").update("POST /orders\n").update(raw).digest("base64url");
  const o = newOrder(raw, correlationId);
  const [refused] = (
    await pool.query<{ locked: boolean }>(KEYED, [
      ...o.values,
      o.values[0],
      "anonymous",
      key,
      fingerprint,
      o.answer.status,
      o.answer.location,
      JSON.stringify(o.answer.body),
      TTL_MS,
    ])
  ).rows;
  if (!refused) return o.answer;
  if (!refused.locked) throw Object.assign(new Error("key in flight"), { status: 409 });
  const [stored] = (await pool.query<Answer & { fingerprint: string }>(STORED, ["anonymous", key])).rows;
  if (!stored) throw Object.assign(new Error("key expired meanwhile; retry"), { status: 409 });
  if (stored.fingerprint !== fingerprint) throw Object.assign(new Error("key reused"), { status: 422 });
  return stored;
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
      const a = key === undefined ? await place(raw, correlationId) : await placeOnce(raw, correlationId, key);
      res.writeHead(a.status, { "content-type": "application/json", location: a.location }).end(JSON.stringify(a.body));
    })().catch((e: Error & { status?: number }) => res.writeHead(e.status ?? 500).end(e.message));
  });
});
server.listen(Number(port), () => process.stdout.write(`listening on ${port}\n`));
process.on("SIGTERM", () => server.close(() => void pool.end().then(() => process.exit(0))));
