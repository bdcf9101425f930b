// Idempotency keys of HTTP commands (the IETF httpapi Idempotency-Key draft, as Stripe behaves):
// the first answer is stored in the same transaction as the command's events and outbox rows, so
// no crash can leave an order without its key or a key without its order.
import { execute, sql, type SqlDatabase, type SqlExecutor, type Statement } from "@orderflow/db-kit";

/** What a command answered, as it is replayed for a retry of the same request. */
export interface StoredResponse {
  status: number;
  location?: string;
  body: unknown;
}

export interface IdempotencyClaim {
  /** the authenticated subject: keys of different clients never meet */
  subject: string;
  key: string;
  /** digest of the request (method, path, body) */
  fingerprint: string;
  ttlMs: number;
}

/** Another request with this key is still being processed. */
export class IdempotencyKeyInFlight extends Error {
  readonly retriable = false as const;
  readonly code = "IDEMPOTENCY_KEY_IN_FLIGHT" as const;
  constructor() {
    super("a request with this Idempotency-Key is still being processed; retry once it has been answered");
    this.name = "IdempotencyKeyInFlight";
  }
}

/** The key was first used for a different request. */
export class IdempotencyKeyReused extends Error {
  readonly retriable = false as const;
  readonly code = "IDEMPOTENCY_KEY_REUSED" as const;
  constructor() {
    super(
      "this Idempotency-Key was used for a different request (another method, path or body); use a new key for a new request",
    );
    this.name = "IdempotencyKeyReused";
  }
}

/** A key's first use, claimed in the statement that starts the order it answers for. */
export interface NewKey extends IdempotencyClaim {
  orderId: string;
  response: StoredResponse;
}

/** WITH items that claim `keys` inside a larger statement (event-store.ts startStreams): each
 *  key's advisory lock (held by a request in flight, for every replica), and its answer stored
 *  unless a live one is there already (an expired one is replaced; the sweep may not have reached
 *  it). `key_refused` names the orders whose key was not claimed (`locked` false: in flight). */
export function claimKeysSql(keys: NewKey[]): Statement {
  return sql`key_req AS (
       SELECT k.*, pg_try_advisory_xact_lock(hashtextextended(k.subject || ' ' || k.key, 0)) AS locked
         FROM unnest(${keys.map((k) => k.orderId)}::uuid[], ${keys.map((k) => k.subject)}::text[], ${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.fingerprint)}::text[], ${keys.map((k) => k.response.status)}::int[], ${keys.map((k) => k.response.location ?? null)}::text[], ${keys.map((k) => JSON.stringify(k.response.body))}::jsonb[], ${keys.map((k) => k.ttlMs)}::bigint[])
           AS k(order_id, subject, key, fingerprint, status, location, body, ttl_ms)),
     key_claimed AS (
       INSERT INTO idempotency_keys (subject, key, fingerprint, status, location, body, expires_at)
       SELECT subject, key, fingerprint, status, location, body, now() + ttl_ms * interval '1 millisecond' FROM key_req WHERE locked
       ON CONFLICT (subject, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location,
         body = EXCLUDED.body, created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= now()
       RETURNING subject, key),
     key_refused AS (
       SELECT r.order_id, r.locked FROM key_req r WHERE NOT EXISTS (SELECT 1 FROM key_claimed c WHERE c.subject = r.subject AND c.key = r.key))`;
}

/** Runs `command` once per (subject, key) in a transaction of its own (a cancel, which reads
 *  the order first; a new order claims its key in its one statement, claimKeysSql, and comes here
 *  only when that found the key taken): a first request runs it and stores its answer in the
 *  command's own transaction; a retry of it gets the stored answer back (`replayed`); a key held
 *  by a request still in flight, or first used for another request, is refused. An expired key
 *  counts as unused. A command that fails stores nothing, so its retry runs it again. */
export async function once(
  db: SqlDatabase,
  claim: IdempotencyClaim,
  command: (tx: SqlExecutor) => Promise<StoredResponse>,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  return db.$transaction(async (tx) => {
    // the transaction-scoped advisory lock marks the key in flight for every replica; the stored
    // answer is read in the same round trip (hand-numbered: $1 and $2 are each used twice)
    const [row] = await tx.$queryRawUnsafe<
      {
        locked: boolean;
        stored: { fingerprint: string; status: number; location: string | null; body: unknown } | null;
      }[]
    >(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)) AS locked,
              (SELECT json_build_object('fingerprint', fingerprint, 'status', status, 'location', location, 'body', body)
                 FROM idempotency_keys WHERE subject = $1 AND key = $2 AND expires_at > now()) AS stored`,
      claim.subject,
      claim.key,
    );
    if (!row?.locked) throw new IdempotencyKeyInFlight();
    if (row.stored) {
      if (row.stored.fingerprint !== claim.fingerprint) throw new IdempotencyKeyReused();
      return {
        response: {
          status: row.stored.status,
          ...(row.stored.location ? { location: row.stored.location } : {}),
          body: row.stored.body,
        },
        replayed: true,
      };
    }
    const response = await command(tx);
    // an expired row of the same key is replaced (the sweep may not have reached it yet)
    await execute(
      tx,
      sql`INSERT INTO idempotency_keys (subject, key, fingerprint, status, location, body, expires_at)
       VALUES (${claim.subject}, ${claim.key}, ${claim.fingerprint}, ${response.status}, ${response.location ?? null}, ${JSON.stringify(response.body)}::jsonb, now() + ${claim.ttlMs} * interval '1 millisecond')
       ON CONFLICT (subject, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location,
         body = EXCLUDED.body, created_at = now(), expires_at = EXCLUDED.expires_at`,
    );
    return { response, replayed: false };
  });
}

/** Deletes keys past their window, at most `limit` at a time; returns how many went. */
export async function deleteExpiredKeys(db: SqlExecutor, limit = 10_000): Promise<number> {
  return execute(
    db,
    sql`DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT ${limit}))`,
  );
}
