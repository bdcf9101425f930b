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
import {
  applyRun,
  changedStates,
  readRun,
  walkRun,
  type EventSource,
  type RunChanges,
  type RunSpec,
} from "@orderflow/db-kit";
import { RetriableError, type IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import { v5 as uuidv5 } from "uuid";
import type { Db } from "../db/client.js";
import { paymentsOfOrders, writePayments } from "../db/payments.js";
import {
  actionFor,
  authorization,
  authorizationKey,
  refund,
  refundKey,
  type GatewayDecision,
  type OrderTopicEvent,
  type Payment,
  type PaymentAction,
} from "../domain/payment.js";
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

/** An order's payment as a walk leaves it; `waiting`: the provider call it needs an answer to
 *  first (the order's later events in the run wait too). */
interface PaymentSlot {
  payment: Payment | undefined;
  waiting?: Call;
}

/** A run of order events: all applied, or none (the consumer then retries them one by one).
 *  Events for the same order apply in their order, each seeing the payment as the one before it
 *  left it; the provider calls of different orders go out together. */
export async function handleOrderEvents(
  deps: PaymentDeps,
  msgs: IncomingEvent[],
  logFor: (msg: IncomingEvent) => Logger = () => deps.log,
): Promise<void> {
  const answers = await askProvider(deps, msgs);
  if (answers.size > 0) deps.afterProviderAnswered?.(answers.size);
  await applyRun(deps.db, paymentRun(answers), sourceOf(deps), msgs, logFor);
}

const sourceOf = (deps: PaymentDeps): EventSource => ({ source: SERVICE, clock: deps.clock, newId: deps.newId });

/** Steps 1–2: walk the run over the payments as they are, make the calls it needs, walk again
 *  with the answers (a refund needs the authorization before it) until it needs no more. */
async function askProvider(deps: PaymentDeps, msgs: IncomingEvent[]): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  const payments = await readRun(deps.db, paymentRun(answers), msgs);
  for (;;) {
    const missing = waitingCalls(walkRun(paymentRun(answers), payments, msgs, sourceOf(deps)).changes);
    if (missing.length === 0) return answers;
    await Promise.all(
      missing.map(async (c) =>
        answers.set(
          c.req.idempotencyKey,
          c.op === "authorize"
            ? await deps.gateway.authorize(c.req)
            : (await deps.gateway.refund(c.req), { refunded: true as const }),
        ),
      ),
    );
  }
}

const waitingCalls = (c: RunChanges<PaymentSlot>): Call[] =>
  [...c.after.values()].flatMap((s) => (s.waiting ? [s.waiting] : []));

/** The payment side of a run over the provider's answers so far: the pure step per record, and
 *  the SQL that reads and writes the run's payments. */
function paymentRun(answers: ReadonlyMap<string, Answer>): RunSpec<IncomingEvent, Payment, PaymentSlot> {
  return {
    group: PAYMENT_GROUP,
    read: paymentsOfOrders,
    load: (rows) => new Map(rows.map((p) => [p.orderId, { payment: p }])),
    step: (slot, msg, ctx) => {
      if (slot?.waiting) return { state: slot };
      const action = actionFor(msg.event as OrderTopicEvent, slot?.payment);
      if (action.kind === "none") return { state: slot };
      const call = callFor(action);
      const answer = answers.get(call.req.idempotencyKey);
      if (!answer || (action.kind === "authorize" && "refunded" in answer))
        return { state: { payment: slot?.payment, waiting: call } };
      const result =
        action.kind === "authorize"
          ? authorization(call.req.paymentId, action, answer as GatewayDecision)
          : refund(action.payment);
      const event = ctx.envelope(result.outcome);
      return {
        state: { payment: result.payment },
        emitted: [event],
        note: {
          msg: "payment updated",
          fields: { orderId: result.payment.orderId, emitted: event.type, emittedId: event.id },
        },
      };
    },
    write: async (tx, changes) => {
      const missing = waitingCalls(changes).length;
      // step 3 saw a payment step 1 did not: another member got there first
      if (missing > 0)
        throw new RetriableError(
          `payments of this run changed while the provider was asked (${missing} answer(s) missing); trying the run again`,
          "PAYMENT_STATE_CHANGED",
        );
      if (changes.outbox.length === 0) return; // every change emits an event: nothing changed
      const { created, changed } = changedStates(changes);
      await writePayments(
        tx,
        created.map((s) => s.payment!),
        changed.map((c) => c.after.payment!.id),
        changes.outbox,
      );
    },
  };
}

/** The provider call an action makes, under the idempotency key of its business operation. */
function callFor(action: Exclude<PaymentAction, { kind: "none" }>): Call {
  if (action.kind === "authorize") {
    return {
      op: "authorize",
      req: {
        idempotencyKey: authorizationKey(action.orderId),
        paymentId: paymentIdFor(action.orderId),
        orderId: action.orderId,
        amount: action.amount,
        currency: action.currency,
      },
    };
  }
  const p = action.payment;
  return {
    op: "refund",
    req: {
      idempotencyKey: refundKey(p.id),
      paymentId: p.id,
      orderId: p.orderId,
      amount: p.amount,
      currency: p.currency,
    },
  };
}
