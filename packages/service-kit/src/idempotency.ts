// The Idempotency-Key request header (IETF httpapi idempotency-key draft, as Stripe behaves): the
// key's syntax, the digest that tells a retry from a new request, and answers kept in memory for
// a service without a database of its own. A service with one stores answers in the transaction of
// the command they answer instead (the order service).
import { createHash } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { HttpProblem } from "./http.js";

export const IDEMPOTENCY_HEADER = "idempotency-key";
/** set on an answer that is the stored first answer to the same request */
export const REPLAYED_HEADER = "idempotent-replayed";

const KEY = /^[\x21-\x7e]{1,255}$/;
const KEY_RULE = "must be 1–255 visible ASCII characters (a UUID is a good key), optionally in double quotes";

/** The request's key, undefined when it sent none; a malformed one is a 400 naming the header.
 *  The draft's sf-string form ("…") and a bare token, as Stripe's clients send it, both work. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return undefined;
  const value = raw.trim();
  const key = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!KEY.test(key) || key.includes('"') || key.includes("\\")) {
    throw new HttpProblem(400, "Invalid request", `Idempotency-Key: ${KEY_RULE}`, {
      errors: [{ field: "Idempotency-Key", message: KEY_RULE }],
    });
  }
  return key;
}

/** JSON with object keys sorted, so the same body in another key order is the same request. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** Digest of what makes a request this request: method, path and body. */
export function requestFingerprint(req: Request): string {
  return createHash("sha256")
    .update(`${req.method} ${req.path}\n${canonical(req.body ?? null)}`)
    .digest("base64url");
}

export const keyInFlight = () =>
  new HttpProblem(
    409,
    "Request in flight",
    "a request with this Idempotency-Key is still being processed; retry once it has been answered",
    { code: "IDEMPOTENCY_KEY_IN_FLIGHT" },
  );
export const keyReused = () => {
  const detail =
    "this Idempotency-Key was used for a different request (another method, path or body); use a new key for a new request";
  return new HttpProblem(422, "Idempotency-Key reused", detail, {
    code: "IDEMPOTENCY_KEY_REUSED",
    errors: [{ field: "Idempotency-Key", message: detail }],
  });
};

type Entry = { fingerprint: string; expiresAt: number } & (
  | { state: "in-flight" }
  | { state: "done"; status: number; body: unknown; location?: string }
);

/** Write routes after it answer a request with a key once: a retry of the same request gets the
 *  first 2xx answer back, another request under the key a 422, one while the first is in flight a
 *  409. Kept in this process's memory for `ttlMs`, at most `maxKeys` (the oldest go first): for a
 *  single-replica tool whose actions have no database to share a transaction with. Mount it after
 *  authentication: keys are scoped to the principal's subject. */
export function idempotentInMemory(opts: { ttlMs: number; maxKeys?: number; now?: () => number }): RequestHandler {
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 10_000;
  const entries = new Map<string, Entry>();
  return (req, res, next) => {
    if (req.method !== "POST") return next();
    const key = idempotencyKeyOf(req);
    if (key === undefined) return next();
    const scoped = `${req.principal?.subject ?? "anonymous"} ${key}`;
    const fingerprint = requestFingerprint(req);
    const seen = entries.get(scoped);
    if (seen && seen.expiresAt > now()) {
      if (seen.fingerprint !== fingerprint) return next(keyReused());
      if (seen.state === "in-flight") return next(keyInFlight());
      if (seen.location) res.location(seen.location);
      res.setHeader(REPLAYED_HEADER, "true");
      return void res.status(seen.status).json(seen.body);
    }
    entries.delete(scoped);
    for (const oldest of entries.keys()) {
      if (entries.size < maxKeys) break;
      entries.delete(oldest);
    }
    entries.set(scoped, { state: "in-flight", fingerprint, expiresAt: now() + opts.ttlMs });
    const json = res.json.bind(res);
    let body: unknown;
    res.json = (b: unknown) => {
      body = b;
      return json(b);
    };
    res.once("finish", () => {
      const location = res.getHeader("location");
      // only a success is an answer to replay; after an error the key is free for a retry
      if (res.statusCode >= 200 && res.statusCode < 300)
        entries.set(scoped, {
          state: "done",
          fingerprint,
          expiresAt: now() + opts.ttlMs,
          status: res.statusCode,
          body,
          ...(typeof location === "string" ? { location } : {}),
        });
      else entries.delete(scoped);
    });
    res.once("close", () => {
      if (entries.get(scoped)?.state === "in-flight" && !res.writableFinished) entries.delete(scoped);
    });
    next();
  };
}
