// The key's claim as the order service writes it (apps/order/src/db/idempotency.ts claimKeysSql),
// after a `key_req` CTE of (order_id, subject, key, fingerprint, status, location, body, ttl_ms,
// locked): the pgbench script and the bare server send it alike. A package cannot import an app,
// so this is the one copy the bench keeps.
export const KEY_CLAIM_CTES = `key_claimed AS (
  INSERT INTO idempotency_keys (subject, key, fingerprint, status, location, body, expires_at)
  SELECT subject, key, fingerprint, status, location, body, now() + ttl_ms * interval '1 millisecond' FROM key_req WHERE locked
  ON CONFLICT (subject, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location,
    body = EXCLUDED.body, created_at = now(), expires_at = EXCLUDED.expires_at
    WHERE idempotency_keys.expires_at <= now()
  RETURNING subject, key),
key_refused AS (SELECT r.order_id, r.locked FROM key_req r WHERE NOT EXISTS (SELECT 1 FROM key_claimed c WHERE c.subject = r.subject AND c.key = r.key))`;
