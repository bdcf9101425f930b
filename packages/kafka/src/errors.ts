// Errors carry whether trying again can help: a consumer retries retriable failures with backoff
// and dead-letters the others at once.
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

// a dependency that is away (database or network down, restarting, out of connections): no
// record is at fault, so a consumer waits for it without spending the record's retry budget
const OUTAGE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN",
  "08000", "08001", "08003", "08004", "08006", "53300", "57P01", "57P02", "57P03",
  "P1001", "P1002", "P1017",
]);
// @prisma/adapter-pg reports these as the cause's `kind`
const OUTAGE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const OUTAGE_MESSAGES = /Connection terminated|Can't reach database server|the database system is (shutting down|starting up)|terminating connection due to administrator command|Client has encountered a connection error/i;

// worth another try although the dependency answers: serialization and lock conflicts, Prisma's
// query and pool timeouts and write conflicts
const RETRIABLE_CODES = new Set(["40001", "40P01", "55P03", "P1008", "P2024", "P2034"]);

type ErrorShape = { retriable?: unknown; code?: unknown; kind?: unknown; name?: unknown; message?: unknown; cause?: unknown; meta?: { code?: unknown; driverAdapterError?: unknown } };

/** this error itself (not its causes) says a dependency is away */
function outageHere(e: ErrorShape): boolean {
  const code = typeof e.code === "string" ? e.code : typeof e.meta?.code === "string" ? e.meta.code : undefined;
  if (code && OUTAGE_CODES.has(code)) return true;
  if (typeof e.kind === "string" && OUTAGE_KINDS.has(e.kind)) return true;
  if (e.name === "PrismaClientInitializationError") return true;
  return typeof e.message === "string" && OUTAGE_MESSAGES.test(e.message);
}

/** True when the failure, or one of its causes, is a dependency being away rather than anything
 *  about the input. Prisma's raw queries outside a transaction (P2010) carry the driver adapter's
 *  error in `meta.driverAdapterError` rather than as the cause. */
export function isOutage(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as ErrorShape;
  return outageHere(e) || isOutage(e.cause, depth + 1) || isOutage(e.meta?.driverAdapterError, depth + 1);
}

/** Walks the error and its causes: the first explicit verdict wins, then outages and known codes. */
export function isRetriable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as ErrorShape;
  if (typeof e.retriable === "boolean") return e.retriable;
  if (outageHere(e)) return true;
  if (typeof e.code === "string" && RETRIABLE_CODES.has(e.code)) return true;
  if (typeof e.meta?.code === "string" && RETRIABLE_CODES.has(e.meta.code)) return true;
  if (e.name === "PrismaClientRustPanicError") return true;
  if (typeof e.name === "string" && /timeout/i.test(e.name)) return true;
  return isRetriable(e.cause, depth + 1);
}

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
