// Reading the Idempotency-Key request header (IETF httpapi draft: an sf-string; a bare token as
// Stripe's clients send it is accepted too) and the digest that tells a retry from a new request.
import { createHash } from "node:crypto";
import type { Request, Response } from "express";
import { HttpProblem } from "@orderflow/observability";
import type { StoredResponse } from "../db/idempotency.js";

export const IDEMPOTENCY_HEADER = "idempotency-key";
/** set on an answer that is the stored first answer to the same request */
export const REPLAYED_HEADER = "idempotent-replayed";

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's key, undefined when it sent none; a malformed one is a 400 naming the header. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return undefined;
  const value = raw.trim();
  const key = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!KEY.test(key) || key.includes('"') || key.includes("\\")) {
    const message = "must be 1–255 visible ASCII characters (a UUID is a good key), optionally in double quotes";
    throw new HttpProblem(400, "Invalid request", `Idempotency-Key: ${message}`, { errors: [{ field: "Idempotency-Key", message }] });
  }
  return key;
}

/** JSON with object keys sorted, so the same body in another key order is the same request. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** Digest of what makes a request this request: method, path and body. */
export function fingerprintOf(req: Request): string {
  return createHash("sha256").update(`${req.method} ${req.path}\n${canonical(req.body ?? null)}`).digest("base64url");
}

export function sendStored(res: Response, r: StoredResponse, replayed: boolean): void {
  if (r.location) res.location(r.location);
  if (replayed) res.setHeader(REPLAYED_HEADER, "true");
  res.status(r.status).json(r.body);
}
