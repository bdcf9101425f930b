// Everything the simulator holds, in memory: every request by its idempotency key with the answer
// it got, and the authorizations and refunds they made. A restart forgets it all (a simulator, not
// a provider: nothing here is meant to survive).
import {
  authorize,
  refund,
  type Authorization,
  type Operation,
  type PaymentRequest,
  type Refund,
} from "./domain/payments.js";

/** What was answered, kept to be replayed exactly for the same key. */
export interface StoredAnswer {
  status: number;
  body: Record<string, unknown>;
  problem: boolean;
}

export interface KeyRecord {
  key: string;
  operation: Operation;
  request: PaymentRequest;
  answer: StoredAnswer;
  createdAt: string;
  lastPresentedAt: string;
  /** how many requests carried this key (the first included) */
  presentedCount: number;
}

export type Presentation =
  | { kind: "applied"; record: KeyRecord }
  | { kind: "replayed"; record: KeyRecord }
  /** the key was first used for another operation or with another body */
  | { kind: "mismatch"; record: KeyRecord; detail: string };

export interface LedgerDeps {
  clock: () => Date;
  newId: () => string;
  declineAbove: number;
}

/** a problem body as the HTTP layer renders it, stored with the record so a replay is exact */
export type ProblemBody = (status: number, title: string, detail: string) => Record<string, unknown>;

export interface RequestSummary {
  /** authorizations made (approved + declined): charges attempted, replays not counted */
  authorizations: number;
  approved: number;
  declined: number;
  refunds: number;
  /** requests answered with a refusal (refund of an unknown payment, say) */
  refused: number;
  /** presentations of a key after its first */
  replays: number;
}

const sameRequest = (a: PaymentRequest, b: PaymentRequest) =>
  a.paymentId === b.paymentId && a.orderId === b.orderId && a.amount === b.amount && a.currency === b.currency;

export class Ledger {
  private readonly byKey = new Map<string, KeyRecord>();
  private readonly authorizations = new Map<string, Authorization[]>(); // by payment id, in order
  private readonly refunded = new Set<string>(); // authorization ids
  private readonly refunds: Refund[] = [];

  constructor(private readonly deps: LedgerDeps) {}

  /** The request under its key: applied once, replayed afterwards, refused when the key was
   *  first used differently. Synchronous, so two requests with one key cannot both apply. */
  present(operation: Operation, key: string, request: PaymentRequest, problem: ProblemBody): Presentation {
    const now = this.deps.clock().toISOString();
    const seen = this.byKey.get(key);
    if (seen) {
      seen.presentedCount += 1;
      seen.lastPresentedAt = now;
      if (seen.operation !== operation)
        return {
          kind: "mismatch",
          record: seen,
          detail: `Idempotency-Key ${key} was first used for a ${seen.operation}, not a ${operation}`,
        };
      if (!sameRequest(seen.request, request))
        return {
          kind: "mismatch",
          record: seen,
          detail: `Idempotency-Key ${key} was first used with another body: ${JSON.stringify(seen.request)}`,
        };
      return { kind: "replayed", record: seen };
    }
    const record: KeyRecord = {
      key,
      operation,
      request: { ...request },
      answer: this.apply(operation, request, problem),
      createdAt: now,
      lastPresentedAt: now,
      presentedCount: 1,
    };
    this.byKey.set(key, record);
    return { kind: "applied", record };
  }

  private apply(operation: Operation, req: PaymentRequest, problem: ProblemBody): StoredAnswer {
    if (operation === "authorization") {
      const a = authorize(`auth_${this.deps.newId()}`, req, this.deps.declineAbove);
      this.authorizations.set(req.paymentId, [...(this.authorizations.get(req.paymentId) ?? []), a]);
      return { status: 200, body: { ...a }, problem: false };
    }
    const r = refund(`re_${this.deps.newId()}`, req, this.authorizations.get(req.paymentId) ?? [], this.refunded);
    if ("title" in r) return { status: r.status, body: problem(r.status, r.title, r.detail), problem: true };
    this.refunded.add(r.of.id);
    this.refunds.push(r.refund);
    return { status: 200, body: { ...r.refund }, problem: false };
  }

  list(filter: { orderId?: string; paymentId?: string } = {}): {
    summary: RequestSummary;
    requests: ReturnType<typeof view>[];
  } {
    const records = [...this.byKey.values()].filter(
      (r) =>
        (!filter.orderId || r.request.orderId === filter.orderId) &&
        (!filter.paymentId || r.request.paymentId === filter.paymentId),
    );
    const ok = (r: KeyRecord, op: Operation, status?: string) =>
      r.operation === op && !r.answer.problem && (status === undefined || r.answer.body.status === status);
    const summary: RequestSummary = {
      authorizations: records.filter((r) => ok(r, "authorization")).length,
      approved: records.filter((r) => ok(r, "authorization", "approved")).length,
      declined: records.filter((r) => ok(r, "authorization", "declined")).length,
      refunds: records.filter((r) => ok(r, "refund")).length,
      refused: records.filter((r) => r.answer.problem).length,
      replays: records.reduce((n, r) => n + r.presentedCount - 1, 0),
    };
    return { summary, requests: records.map(view) };
  }

  clear(): void {
    this.byKey.clear();
    this.authorizations.clear();
    this.refunded.clear();
    this.refunds.length = 0;
  }
}

function view(r: KeyRecord) {
  return {
    key: r.key,
    operation: r.operation,
    orderId: r.request.orderId,
    paymentId: r.request.paymentId,
    amount: r.request.amount,
    currency: r.request.currency,
    /** approved, declined or refunded; refused when the answer was a problem */
    status: r.answer.problem ? "refused" : String(r.answer.body.status),
    ...(typeof r.answer.body.id === "string" ? { id: r.answer.body.id } : {}),
    httpStatus: r.answer.status,
    presentedCount: r.presentedCount,
    createdAt: r.createdAt,
    lastPresentedAt: r.lastPresentedAt,
  };
}
