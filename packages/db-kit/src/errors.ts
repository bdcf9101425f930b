// What a failure of PostgreSQL, node-postgres or Prisma means for the work that met it: the
// database is away (an outage: wait for it, no record or request is at fault), trying again can
// help (a conflict, a timeout), or neither. A consumer takes `databaseErrors` as its error
// classifier; HTTP answers an outage with 503.

// a dependency that is away (database or network down, restarting, out of connections)
const OUTAGE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "53300",
  "57P01",
  "57P02",
  "57P03",
  "P1001",
  "P1002",
  "P1017",
]);
// @prisma/adapter-pg reports these as the cause's `kind`
const OUTAGE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const OUTAGE_MESSAGES =
  /Connection terminated|Can't reach database server|the database system is (shutting down|starting up)|terminating connection due to administrator command|Client has encountered a connection error/i;

// worth another try although the dependency answers: serialization and lock conflicts, Prisma's
// query and pool timeouts and write conflicts
const RETRIABLE_CODES = new Set(["40001", "40P01", "55P03", "P1008", "P2024", "P2034"]);

type ErrorShape = {
  retriable?: unknown;
  code?: unknown;
  kind?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { code?: unknown; driverAdapterError?: unknown };
};

/** this error itself (not its causes) says a dependency is away */
function outageHere(e: ErrorShape): boolean {
  const code = typeof e.code === "string" ? e.code : typeof e.meta?.code === "string" ? e.meta.code : undefined;
  if (code && OUTAGE_CODES.has(code)) return true;
  if (typeof e.kind === "string" && OUTAGE_KINDS.has(e.kind)) return true;
  if (e.name === "PrismaClientInitializationError") return true;
  return typeof e.message === "string" && OUTAGE_MESSAGES.test(e.message);
}

/** True when the failure, or one of its causes, is the database (or the network to it) being
 *  away rather than anything about the input. Prisma's raw queries outside a transaction (P2010)
 *  carry the driver adapter's error in `meta.driverAdapterError` rather than as the cause. */
export function isOutage(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as ErrorShape;
  return outageHere(e) || isOutage(e.cause, depth + 1) || isOutage(e.meta?.driverAdapterError, depth + 1);
}

/** Walks the error and its causes: the first explicit verdict (an error's own `retriable`) wins,
 *  then outages and known codes. */
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

/** The error classifier of a consumer whose handler writes to its service's database. */
export const databaseErrors = {
  isOutage: (err: unknown) => isOutage(err),
  isRetriable: (err: unknown) => isRetriable(err),
};
