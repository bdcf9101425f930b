// Answering an HTTP command run once per Idempotency-Key (the key's syntax and the request digest
// are the service kit's: idempotencyKeyOf, requestFingerprint).
import type { Response } from "express";
import { REPLAYED_HEADER } from "@orderflow/service-kit";
import type { StoredResponse } from "../db/idempotency.js";

export function sendStored(res: Response, r: StoredResponse, replayed: boolean): void {
  if (r.location) res.location(r.location);
  if (replayed) res.setHeader(REPLAYED_HEADER, "true");
  res.status(r.status).json(r.body);
}
