// Order events → payment changes and the events they cause. The provider is an external system,
// so a run is applied in three steps, none of which holds a lock while the provider thinks:
//   1. read the run's payments (no transaction) and walk the run to see which provider calls it needs;
//   2. make those calls, outside any transaction, each with the idempotency key of its business
//      operation (the same on every redelivery, restart, replica and redrive: the provider answers
//      a repeated key with its first answer and charges once);
//   3. one transaction: the inbox record with the run's payments, the same walk over the answers,
//      one write with the outbox rows.
// A crash anywhere resumes: nothing is committed before step 3, and redoing steps 1–2 asks the
// provider the same questions under the same keys. If step 3 sees a state step 1 did not (another
// member got there first), the walk wants an answer it lacks and the run is retried from step 1.
import { createEvent } from "@orderflow/contracts";
import { outboxRowFor, recordInboxRunAndRead, writeWithOutbox, type OutboxInsert } from "@orderflow/db-kit";
import { RetriableError, type IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import { v5 as uuidv5 } from "uuid";
import type { Db } from "../db/client.js";
import { actionFor, authorization, authorizationKey, refund, refundKey, type GatewayDecision, type OrderTopicEvent, type Payment, type PaymentOutcome } from "../domain/payment.js";
import type { GatewayRequest, PaymentGateway } from "../gateway/gateway.js";

export const SERVICE = "payment";

// a fixed namespace for the payment ids derived from order ids (uuid v5)
const PAYMENT_ID_NAMESPACE = "6f1c2a52-3f0e-5b8e-9a43-0d8f0e5c7a11";

/** An order's payment id, derived from the order id: every attempt at authorizing it asks the
 *  provider about the same payment, so a retried request is the same request. */
export function paymentIdFor(orderId: string): string {
  return uuidv5(orderId, PAYMENT_ID_NAMESPACE);
}
export const PAYMENT_GROUP = "payment";

export interface PaymentDeps {
  db: Db;
  gateway: PaymentGateway;
  clock: () => Date;
  newId: () => string;
  log: Logger;
  /** hears how many provider answers a run got, before the transaction recording them (a failpoint) */
  afterProviderAnswered?: (answers: number) => void;
}

/** The failpoint `crash-after-provider:N`: SIGKILL once the provider has answered N calls and
 *  before their answers are committed (the reliability suite's "applied, never recorded"). */
export function crashAfterProviderAnswers(n: number, log: Logger): (answers: number) => void {
  let answered = 0;
  return (answers) => {
    answered += answers;
    if (answered < n) return;
    log.warn({ answered }, "failpoint crash-after-provider: SIGKILL before the provider's answers are committed");
    process.kill(process.pid, "SIGKILL");
  };
}

/** A provider call a walk needs, and its answer once made. */
type Call = { op: "authorize"; req: GatewayRequest } | { op: "refund"; req: GatewayRequest };
type Answer = GatewayDecision | { refunded: true };

// amounts are BIGINT; every contract amount is a safe integer, which float8 (a JS number) holds exactly
const PAYMENTS_OF = `SELECT id::text AS id, order_id::text AS "orderId", amount::float8 AS amount, currency, status::text AS status, decline_reason AS "declineReason" FROM payments WHERE order_id = ANY($PARAM::uuid[])`;

export async function handleOrderEvent(deps: PaymentDeps, msg: IncomingEvent): Promise<void> {
  await handleOrderEvents(deps, [msg]);
}

/** A run of order events: all applied, or none (the consumer then retries them one by one).
 *  Events for the same order apply in their order, each seeing the payment as the one before it
 *  left it; the provider calls of different orders go out together. */
export async function handleOrderEvents(deps: PaymentDeps, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger = () => deps.log): Promise<void> {
  const orderIds = [...new Set(msgs.map((m) => (m.event as OrderTopicEvent).data.orderId))];
  const before = await deps.db.$queryRawUnsafe<Payment[]>(PAYMENTS_OF.replace("$PARAM", "$1"), orderIds);
  const answers = await askProvider(deps, msgs, before);
  if (answers.size > 0) deps.afterProviderAnswered?.(answers.size);
  await deps.db.$transaction(async (tx) => {
    const { fresh, rows } = await recordInboxRunAndRead<IncomingEvent, Payment>(tx, PAYMENT_GROUP, msgs, (m) => logFor(m).info("duplicate event ignored"), {
      sql: PAYMENTS_OF.replace("$PARAM", "$3"),
      values: [orderIds],
    });
    if (fresh.length === 0) return;
    const walked = walk(deps, fresh, rows, answers);
    if (walked.missing.length > 0) throw new RetriableError(`payments of this run changed while the provider was asked (${walked.missing.length} answer(s) missing); trying the run again`, "PAYMENT_STATE_CHANGED");
    for (const c of walked.changes) logFor(c.msg).info({ orderId: c.payment.orderId, emitted: c.event.type, emittedId: c.event.id }, "payment updated");
    if (walked.changes.length === 0) return; // every change emits an event: nothing changed
    await writeChanges(tx, walked);
  });
}

/** Steps 1–2: walk the run over the payments as they are, make the calls it needs, walk again
 *  with the answers (a refund needs the authorization before it) until it needs no more. */
async function askProvider(deps: PaymentDeps, msgs: IncomingEvent[], payments: Payment[]): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  for (;;) {
    const { missing } = walk(deps, msgs, payments, answers);
    if (missing.length === 0) return answers;
    await Promise.all(missing.map(async (c) => answers.set(c.req.idempotencyKey, c.op === "authorize" ? await deps.gateway.authorize(c.req) : (await deps.gateway.refund(c.req), { refunded: true as const }))));
  }
}

interface Change {
  msg: IncomingEvent;
  payment: Payment;
  event: ReturnType<typeof outcomeEvent>;
  outbox: OutboxInsert;
}

interface Walked {
  changes: Change[];
  /** provider calls the walk needed and had no answer for (each once) */
  missing: Call[];
  /** by payment id, in their final state */
  created: Map<string, Payment>;
  /** ids of payments that existed before the run and were refunded */
  refunded: string[];
}

/** The pure step per record in order, over `payments` and the provider's answers so far. */
function walk(deps: PaymentDeps, msgs: IncomingEvent[], payments: Payment[], answers: Map<string, Answer>): Walked {
  const current = new Map(payments.map((p) => [p.orderId, p]));
  const out: Walked = { changes: [], missing: [], created: new Map(), refunded: [] };
  const stuck = new Set<string>(); // orders waiting for an answer: their later events wait too
  for (const msg of msgs) {
    const event = msg.event as OrderTopicEvent;
    if (stuck.has(event.data.orderId)) continue;
    const action = actionFor(event, current.get(event.data.orderId));
    let result: ReturnType<typeof refund>;
    if (action.kind === "authorize") {
      const req = { idempotencyKey: authorizationKey(action.orderId), paymentId: paymentIdFor(action.orderId), orderId: action.orderId, amount: action.amount, currency: action.currency };
      const answer = answers.get(req.idempotencyKey);
      if (!answer || "refunded" in answer) {
        out.missing.push({ op: "authorize", req });
        stuck.add(event.data.orderId);
        continue;
      }
      result = authorization(req.paymentId, action, answer);
      out.created.set(req.paymentId, result.payment);
    } else if (action.kind === "refund") {
      const p = action.payment;
      const req = { idempotencyKey: refundKey(p.id), paymentId: p.id, orderId: p.orderId, amount: p.amount, currency: p.currency };
      if (!answers.has(req.idempotencyKey)) {
        out.missing.push({ op: "refund", req });
        stuck.add(event.data.orderId);
        continue;
      }
      result = refund(p);
      if (out.created.has(p.id)) out.created.set(p.id, result.payment);
      else out.refunded.push(p.id);
    } else {
      continue;
    }
    current.set(result.payment.orderId, result.payment);
    const e = outcomeEvent(deps, event, result.outcome);
    out.changes.push({ msg, payment: result.payment, event: e, outbox: outboxRowFor(e, msg.headers.traceparent ? { traceparent: msg.headers.traceparent } : undefined) });
  }
  return out;
}

/** The new payments, the refunds and their events in one statement. */
async function writeChanges(tx: Parameters<Parameters<Db["$transaction"]>[0]>[0], w: Walked): Promise<void> {
  const ps = [...w.created.values()];
  await writeWithOutbox(
    tx,
    `created AS (
       INSERT INTO payments (id, order_id, amount, currency, status, decline_reason, updated_at)
       SELECT id, order_id, amount, currency, status::"PaymentStatus", decline_reason, now()
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[]) AS t(id, order_id, amount, currency, status, decline_reason)
     ), refunded AS (
       UPDATE payments SET status = 'REFUNDED', updated_at = now() WHERE id = ANY($7::uuid[])
     )`,
    [ps.map((p) => p.id), ps.map((p) => p.orderId), ps.map((p) => p.amount), ps.map((p) => p.currency), ps.map((p) => p.status), ps.map((p) => p.declineReason ?? null), w.refunded],
    w.changes.map((c) => c.outbox),
  );
}

function outcomeEvent(deps: PaymentDeps, cause: OrderTopicEvent, outcome: PaymentOutcome) {
  return createEvent(outcome.type, outcome.data as never, {
    id: deps.newId(),
    occurredAt: deps.clock().toISOString(),
    correlationId: cause.correlationId,
    causationId: cause.id,
    source: SERVICE,
  });
}
