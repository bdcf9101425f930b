// pgbench, and the scripts that run exactly the statements the services send.
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { anOrder } from "@orderflow/system-tests/harness";
import { KEY_CLAIM_CTES } from "./keyed-claim.js";
import { q, sampleEvent } from "./samples.js";

/** pgbench running `script` against `url` (`extra`: more pgbench options); transactions per second */
export async function pgbench(
  url: string,
  script: string,
  clients: number,
  seconds: number,
  extra: string[] = [],
): Promise<number> {
  const out = await pgbenchAsync(url, script, [
    "-c",
    String(clients),
    "-j",
    String(Math.min(clients, 2)),
    "-T",
    String(seconds),
    ...extra,
  ]);
  const m = /tps = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`pgbench printed no tps:\n${out}`);
  return Number(m[1]);
}

/** pgbench running `script` with `args` (its output) without blocking this process: it keeps
 *  reading the services' logs meanwhile (a service whose stdout pipe fills blocks in its log writes) */
export function pgbenchAsync(url: string, script: string, args: string[]): Promise<string> {
  const file = path.join(os.tmpdir(), `orderflow-bench-${randomUUID()}.sql`);
  fs.writeFileSync(file, script);
  const proc = spawn("pgbench", ["-n", ...args, "-f", file, url], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise<string>((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbench failed (${code}):\n${out}`))));
  }).finally(() => fs.rmSync(file, { force: true }));
}

/** the statement POST /orders sends without an Idempotency-Key: the new order's event and its outbox row in one INSERT */
export function placeOrderScript(): string {
  const { event, headers } = sampleEvent();
  return `SELECT gen_random_uuid() AS oid, gen_random_uuid() AS eid \\gset
WITH appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at) VALUES (':oid', 1, ':eid', 'OrderPlaced', 2, '${q(JSON.stringify(event.data))}', 'bench', NULL, now()))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (':eid', ':oid', 'order-events', ':oid', 'OrderPlaced', '${q(JSON.stringify(event))}', '${q(JSON.stringify(headers))}');
`;
}

/** pgbench options the keyed script needs: its per-client counter starts at 0 (pgbench keeps a
 *  client's variables from one transaction to the next) */
export const KEYED_PGBENCH_OPTIONS = ["-D", "seq=0"];

/** The statement POST /orders sends with an Idempotency-Key (apps/order: commands/idempotent.ts
 *  placeOrderOnce, db/event-store.ts startStreams, db/idempotency.ts claimKeysSql, db-kit
 *  outboxInsertSql): one statement, no explicit transaction, that takes the key's advisory lock,
 *  stores its answer unless a live one is there, and writes the event and its outbox row only if
 *  the claim held. A key of its own per transaction (this script's run id, pgbench's client id and
 *  a counter), the subject of the bench's token, and values shaped like the service's: a sha256
 *  fingerprint, the 202's location and body, 24 hours to expiry. Needs KEYED_PGBENCH_OPTIONS. */
export function placeOrderKeyedScript(): string {
  const { event, headers } = sampleEvent();
  const subject = "system-tests"; // AUTHORIZATION's subject
  const key = `${randomUUID()}-:client_id-:seq`;
  const fingerprint = createHash("sha256")
    .update(`POST /orders\n${JSON.stringify(anOrder())}`)
    .digest("base64url");
  const data = event.data as { totalAmount: number; currency: string };
  const answer = { orderId: ":oid", status: "PLACED", totalAmount: data.totalAmount, currency: data.currency };
  return `\\set seq :seq + 1
SELECT gen_random_uuid() AS oid, gen_random_uuid() AS eid \\gset
WITH key_req AS (
  SELECT k.*, pg_try_advisory_xact_lock(hashtextextended(k.subject || ' ' || k.key, 0)) AS locked
    FROM unnest(ARRAY[':oid']::uuid[], ARRAY['${subject}']::text[], ARRAY['${key}']::text[], ARRAY['${fingerprint}']::text[], ARRAY[202]::int[], ARRAY['/orders/:oid']::text[], ARRAY['${q(JSON.stringify(answer))}']::jsonb[], ARRAY[${24 * 3600_000}]::bigint[])
      AS k(order_id, subject, key, fingerprint, status, location, body, ttl_ms)),
${KEY_CLAIM_CTES},
appended AS (INSERT INTO order_events (order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)
  SELECT * FROM unnest(ARRAY[':oid']::uuid[], ARRAY[1]::int[], ARRAY[':eid']::uuid[], ARRAY['OrderPlaced']::text[], ARRAY[2]::int[], ARRAY['${q(JSON.stringify(event.data))}']::jsonb[], ARRAY['${event.correlationId}']::text[], ARRAY[NULL]::text[], ARRAY['${event.occurredAt}']::timestamptz[])
    AS e(order_id, sequence, event_id, type, version, data, correlation_id, causation_id, occurred_at)
  WHERE e.order_id NOT IN (SELECT order_id FROM key_refused)),
outboxed AS (INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers)
  SELECT * FROM (VALUES (':eid'::uuid, ':oid', 'order-events', ':oid', 'OrderPlaced', '${q(JSON.stringify(event))}'::jsonb, '${q(JSON.stringify(headers))}'::jsonb))
    AS o(event_id, aggregate_id, topic, key, event_type, payload, headers)
  WHERE o.aggregate_id NOT IN (SELECT order_id::text FROM key_refused))
SELECT order_id::text, locked FROM key_refused;
`;
}

/** The statements payment's handler sends for a run of one OrderPlaced (apps/payment:
 *  commands/handle-order-event.ts): the pre-read of the order's payment without a transaction
 *  (the provider's answer would come next: the bench's provider answers at once, so pgbench has no
 *  stand-in for it), then BEGIN; the inbox record with the same read in one statement
 *  (db-kit recordInboxRunAndRead); the payment and its outbox row in one statement (db-kit
 *  writeWithOutbox); COMMIT. */
export function paymentScript(): string {
  const { event, headers } = sampleEvent();
  const payments = `SELECT id::text AS id, order_id::text AS "orderId", amount::float8 AS amount, currency, status::text AS status, decline_reason AS "declineReason" FROM payments WHERE order_id = ANY(ARRAY[':oid']::uuid[])`;
  return `SELECT gen_random_uuid() AS oid, gen_random_uuid() AS eid, gen_random_uuid() AS pid \\gset
${payments};
BEGIN;
WITH fresh AS (INSERT INTO inbox (consumer_group, event_id) SELECT 'payment', unnest(ARRAY[':eid']::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id::text AS id), state AS (${payments})
  SELECT (SELECT array_agg(id) FROM fresh) AS fresh, (SELECT json_agg(state) FROM state) AS rows;
WITH created AS (
  INSERT INTO payments (id, order_id, amount, currency, status, decline_reason, updated_at)
  SELECT id, order_id, amount, currency, status::"PaymentStatus", decline_reason, now()
    FROM unnest(ARRAY[':pid']::uuid[], ARRAY[':oid']::uuid[], ARRAY[3000]::bigint[], ARRAY['EUR']::text[], ARRAY['AUTHORIZED']::text[], ARRAY[NULL]::text[]) AS t(id, order_id, amount, currency, status, decline_reason)
), refunded AS (UPDATE payments SET status = 'REFUNDED', updated_at = now() WHERE id = ANY(ARRAY[]::uuid[]))
INSERT INTO outbox (event_id, aggregate_id, topic, key, event_type, payload, headers) VALUES (gen_random_uuid(), ':oid', 'payment-events', ':oid', 'PaymentAuthorized', '${q(JSON.stringify(event))}'::jsonb, '${q(JSON.stringify(headers))}'::jsonb);
COMMIT;
`;
}
