// Errors carry whether trying again can help: a consumer retries retriable failures with backoff,
// waits out outages and dead-letters the others at once. What a failure of a particular
// dependency means (a database's error codes, say) is the business of the package that knows that
// dependency: it hands the consumer an `ErrorClassifier`.
export class RetriableError extends Error {
  readonly retriable = true as const;
  constructor(
    message: string,
    readonly code = "RETRIABLE",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RetriableError";
  }
}

export class NonRetriableError extends Error {
  readonly retriable = false as const;
  constructor(
    message: string,
    readonly code = "NON_RETRIABLE",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "NonRetriableError";
  }
}

/** How a consumer reads a handler's failure. */
export interface ErrorClassifier {
  /** a dependency is away (no record is at fault): wait for it without spending the record's attempts */
  isOutage(err: unknown): boolean;
  /** another attempt can help: retry with backoff, else dead-letter at once */
  isRetriable(err: unknown): boolean;
}

// the operating system's word for a peer that cannot be reached: whatever the dependency, no record is at fault
const NETWORK_OUTAGE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

type ErrorShape = { retriable?: unknown; code?: unknown; name?: unknown; cause?: unknown };

/** True when the failure, or one of its causes, is a network peer that cannot be reached. */
export function isOutage(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as ErrorShape;
  return (typeof e.code === "string" && NETWORK_OUTAGE_CODES.has(e.code)) || isOutage(e.cause, depth + 1);
}

/** Walks the error and its causes: the first explicit verdict (`retriable`) wins, then network
 *  outages and timeouts. */
export function isRetriable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as ErrorShape;
  if (typeof e.retriable === "boolean") return e.retriable;
  if (typeof e.code === "string" && NETWORK_OUTAGE_CODES.has(e.code)) return true;
  if (typeof e.name === "string" && /timeout/i.test(e.name)) return true;
  return isRetriable(e.cause, depth + 1);
}

/** The classifier a consumer uses unless its service passes one that knows its dependencies. */
export const defaultErrorClassifier: ErrorClassifier = {
  isOutage: (err) => isOutage(err),
  isRetriable: (err) => isRetriable(err),
};

export function errorClass(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: unknown; constructor?: { name?: string } };
    if (typeof e.name === "string" && e.name !== "Error") return e.name;
    if (e.constructor?.name) return e.constructor.name;
  }
  return typeof err;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
