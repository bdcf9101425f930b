// One order event → at most one payment change and the event it causes, in one transaction with
// the inbox record, so a redelivered event changes nothing.
import { createEvent } from "@orderflow/contracts";
import { outboxRowFor, recordInboxRunAndRead, writeWithOutbox, type OutboxInsert } from "@orderflow/db-kit";
import type { IncomingEvent } from "@orderflow/kafka";
import type { Logger } from "pino";
import type { Db, Tx } from "../db/client.js";
import { actionFor, authorization, refund, type OrderTopicEvent, type Payment, type PaymentOutcome } from "../domain/payment.js";
import type { PaymentGateway } from "../gateway/gateway.js";

export const SERVICE = "payment";
export const PAYMENT_GROUP = "payment";

export interface PaymentDeps {
  db: Db;
  gateway: PaymentGateway;
  clock: () => Date;
  newId: () => string;
  log: Logger;
}

export async function handleOrderEvent(deps: PaymentDeps, msg: IncomingEvent): Promise<void> {
  await handleOrderEvents(deps, [msg]);
}

/** A run of order events in one transaction: all applied, or none (the consumer then retries
 *  them one by one). Set-based: the inbox record with the read of the run's payments, then every
 *  write with the outbox rows: two statements for the whole run, as many as one event alone costs. Events
 *  for the same order apply in their order, each seeing the payment as the one before it left it. */
export async function handleOrderEvents(deps: PaymentDeps, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger = () => deps.log): Promise<void> {
  await deps.db.$transaction((tx) => applyOrderEvents(deps, tx, msgs, logFor));
}

async function applyOrderEvents(deps: PaymentDeps, tx: Tx, msgs: IncomingEvent[], logFor: (msg: IncomingEvent) => Logger): Promise<void> {
  // the inbox record and the run's payments in one round trip
  const { fresh, rows } = await recordInboxRunAndRead<IncomingEvent, Payment>(tx, PAYMENT_GROUP, msgs, (m) => logFor(m).info("duplicate event ignored"), {
    sql: `SELECT id::text AS id, order_id::text AS "orderId", amount, currency, status::text AS status, decline_reason AS "declineReason" FROM payments WHERE order_id = ANY($3::uuid[])`,
    values: [[...new Set(msgs.map((m) => (m.event as OrderTopicEvent).data.orderId))]],
  });
  if (fresh.length === 0) return;
  const current = new Map(rows.map((p) => [p.orderId, p]));
  const created = new Map<string, Payment>(); // by payment id, in their final state
  const refunded: string[] = []; // ids of payments that existed before the run
  const outbox: OutboxInsert[] = [];
  for (const msg of fresh) {
    const event = msg.event as OrderTopicEvent;
    const log = logFor(msg);
    const action = actionFor(event, current.get(event.data.orderId));
    let result: ReturnType<typeof refund>;
    if (action.kind === "authorize") {
      const paymentId = deps.newId();
      const decision = await deps.gateway.authorize({ paymentId, orderId: action.orderId, amount: action.amount, currency: action.currency });
      result = authorization(paymentId, action, decision);
      created.set(paymentId, result.payment);
    } else if (action.kind === "refund") {
      await deps.gateway.refund({ paymentId: action.payment.id, amount: action.payment.amount, currency: action.payment.currency });
      result = refund(action.payment);
      if (created.has(action.payment.id)) created.set(action.payment.id, result.payment);
      else refunded.push(action.payment.id);
    } else {
      log.debug({ why: action.why }, "nothing to do");
      continue;
    }
    current.set(result.payment.orderId, result.payment);
    const out = outcomeEvent(deps, event, result.outcome);
    outbox.push(outboxRowFor(out, msg.headers.traceparent ? { traceparent: msg.headers.traceparent } : undefined));
    log.info({ orderId: event.data.orderId, emitted: out.type, emittedId: out.id }, "payment updated");
  }
  if (outbox.length === 0) return; // every change emits an event: nothing changed
  // the new payments, the refunds and their events in one statement
  const ps = [...created.values()];
  await writeWithOutbox(
    tx,
    `created AS (
       INSERT INTO payments (id, order_id, amount, currency, status, decline_reason, updated_at)
       SELECT id, order_id, amount, currency, status::"PaymentStatus", decline_reason, now()
         FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[]) AS t(id, order_id, amount, currency, status, decline_reason)
     ), refunded AS (
       UPDATE payments SET status = 'REFUNDED', updated_at = now() WHERE id = ANY($7::uuid[])
     )`,
    [ps.map((p) => p.id), ps.map((p) => p.orderId), ps.map((p) => p.amount), ps.map((p) => p.currency), ps.map((p) => p.status), ps.map((p) => p.declineReason ?? null), refunded],
    outbox,
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
