// "What happened to order X?": its state, the causal timeline of its events across services, and
// its dead letters in every group, with redrive/discard for the pending ones.
import { type RefObject, useRef, useState } from "react";
import { type DeadLetterView, OrderDetail, type TimelineEvent } from "@orderflow/http-api/ops-console";
import { ActionDialog, type ActionOutcome, type DeadLetterAction } from "./ActionDialog";
import { useApiGet } from "./api";
import { formatMoney, Id, StatusBadge, Time } from "./ui";

const MAX_INDENT = 12;

export function OrderDetailView({ orderId }: { orderId: string }) {
  const [reload, setReload] = useState(0);
  const { data, error, loading } = useApiGet(`/api/orders/${encodeURIComponent(orderId)}`, OrderDetail, reload);
  const [pending, setPending] = useState<{ action: DeadLetterAction; deadLetter: DeadLetterView } | null>(null);
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const deadLettersHeading = useRef<HTMLHeadingElement>(null);
  const focusAfterClose = useRef(false);

  const notFound = error?.status === 404;
  return (
    <>
      <p className="back">
        <a href="#/orders">← Back to the order list</a>
      </p>
      <div className="page-title">
        <h1 tabIndex={-1}>
          Order <span className="id">{orderId}</span>
        </h1>
        {data && <StatusBadge status={data.status} />}
      </div>

      {notFound && (
        <div className="banner notice">
          <p>
            <strong>Order not found</strong>: no order has the id <code className="id">{orderId}</code>.
          </p>
        </div>
      )}
      {error && !notFound && (
        <div role="alert" className="banner error">
          <p>Could not load the order: {error.detail}</p>
          <button type="button" className="secondary" onClick={() => setReload((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
      {loading && !data && !error && <p className="muted">Loading order…</p>}

      {data && !notFound && (
        <OrderSections
          order={data}
          outcome={outcome}
          deadLettersHeading={deadLettersHeading}
          onAction={(action, deadLetter) => setPending({ action, deadLetter })}
        />
      )}

      {pending && (
        <ActionDialog
          action={pending.action}
          deadLetter={pending.deadLetter}
          parkedBehind={parkedBehind(data?.deadLetters ?? [], pending.deadLetter)}
          onDone={(o) => {
            setOutcome(o);
            focusAfterClose.current = true;
            setReload((n) => n + 1);
          }}
          onClose={() => {
            setPending(null);
            if (focusAfterClose.current) {
              focusAfterClose.current = false;
              // after the dialog has given focus back to its button (which the reload may remove)
              setTimeout(() => deadLettersHeading.current?.focus(), 0);
            }
          }}
        />
      )}
    </>
  );
}

/** pending records of the dead letter's key and group parked behind it */
function parkedBehind(deadLetters: DeadLetterView[], dl: DeadLetterView): number {
  return deadLetters.filter(
    (d) => d.parked && d.state === "pending" && d.group === dl.group && d.key === dl.key && d.id !== dl.id,
  ).length;
}

function OrderSections({
  order,
  outcome,
  deadLettersHeading,
  onAction,
}: {
  order: OrderDetail;
  outcome: ActionOutcome | null;
  deadLettersHeading: RefObject<HTMLHeadingElement | null>;
  onAction: (action: DeadLetterAction, deadLetter: DeadLetterView) => void;
}) {
  return (
    <>
      <Summary order={order} />

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        {order.timeline.length === 0 ? <p>No events found for this order.</p> : <Timeline events={order.timeline} />}
      </section>

      <section aria-labelledby="dead-letters-heading">
        <h2 id="dead-letters-heading" ref={deadLettersHeading} tabIndex={-1}>
          Dead letters
        </h2>
        <div role="status" data-testid="action-status" className={outcome ? `banner ${outcome.kind}` : "status-empty"}>
          {outcome?.text}
        </div>
        {order.deadLetters.length === 0 ? (
          <p>No dead letters for this order in any group.</p>
        ) : (
          <DeadLetters deadLetters={order.deadLetters} onAction={onAction} />
        )}
      </section>
    </>
  );
}

function Summary({ order }: { order: OrderDetail }) {
  const { payment, shipment, cancellation } = order;
  return (
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading">Summary</h2>
      <dl className="summary">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={order.status} />
          </dd>
        </div>
        <div>
          <dt>Customer</dt>
          <dd>
            <Id value={order.customerId} />
          </dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>{formatMoney(order.totalAmount, order.currency)}</dd>
        </div>
        <div>
          <dt>Payment</dt>
          <dd>
            {payment ? (
              <>
                {payment.status}, {formatMoney(payment.amount, order.currency)}
                {payment.declineReason && <> — declined: {payment.declineReason}</>}
              </>
            ) : (
              <span className="muted">none yet</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Shipment</dt>
          <dd>
            {shipment ? (
              <>
                {shipment.status}
                {shipment.carrier && <>, {shipment.carrier}</>}
                {shipment.trackingNumber && (
                  <>
                    , tracking <code>{shipment.trackingNumber}</code>
                  </>
                )}
              </>
            ) : (
              <span className="muted">none yet</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Cancellation</dt>
          <dd>
            {cancellation ? (
              <>
                {cancellation.reason}
                {cancellation.detail && <> — {cancellation.detail}</>}
              </>
            ) : (
              <span className="muted">not cancelled</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Read model</dt>
          <dd>
            {order.readModel}
            {order.readModel === "event-store" && (
              <span className="muted"> (not projected yet: only the order service's own events)</span>
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function Timeline({ events }: { events: TimelineEvent[] }) {
  return (
    <ol aria-label="Timeline" className="timeline">
      {events.map((ev) => (
        <li
          key={`${ev.eventId}@${ev.topic}/${ev.partition}/${ev.offset}`}
          data-testid="timeline-event"
          data-event-type={ev.type}
          data-event-id={ev.eventId}
          data-depth={ev.depth}
          style={{ marginInlineStart: `${Math.min(Math.max(ev.depth, 0), MAX_INDENT) * 1.5}rem` }}
        >
          <div className="ev-head">
            <strong className="ev-type">{ev.type}</strong>
            <span className={`source source-${ev.source}`}>{ev.source}</span>
            <Time iso={ev.occurredAt} />
          </div>
          <div className="ev-meta">
            <code className="id">
              {ev.topic}/{ev.partition}@{ev.offset}
            </code>
            <span>
              event <code className="id">{ev.eventId}</code>
            </span>
            {ev.causationId && (
              <span className="caused-by">
                caused by <code className="id">{ev.causationId}</code>
              </span>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}

function DeadLetters({
  deadLetters,
  onAction,
}: {
  deadLetters: DeadLetterView[];
  onAction: (action: DeadLetterAction, dl: DeadLetterView) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="dead-letters">
        <DeadLettersHead />
        <tbody>
          {deadLetters.map((dl) => (
            <DeadLetterRow key={`${dl.group}|${dl.id}`} dl={dl} onAction={onAction} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DeadLettersHead() {
  return (
    <thead>
      <tr>
        <th scope="col">Group</th>
        <th scope="col">Event type</th>
        <th scope="col">Error class</th>
        <th scope="col">Error message</th>
        <th scope="col" className="num">
          Attempts
        </th>
        <th scope="col">Failed at</th>
        <th scope="col">State</th>
        <th scope="col">
          <span className="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

function DeadLetterRow({
  dl,
  onAction,
}: {
  dl: DeadLetterView;
  onAction: (action: DeadLetterAction, dl: DeadLetterView) => void;
}) {
  return (
    <tr
      data-testid="dead-letter"
      data-state={dl.state}
      data-parked={String(dl.parked)}
      data-group={dl.group}
      data-id={dl.id}
    >
      <td>{dl.group}</td>
      <td>
        {dl.eventType ?? <span className="muted">unknown</span>}
        <div className="sub">
          <code className="id" title={`dead letter ${dl.id}`}>
            {dl.originalTopic}/{dl.originalPartition}@{dl.originalOffset}
          </code>
        </div>
      </td>
      <td>
        <code className="id">{dl.errorClass}</code>
      </td>
      <td className="message">{dl.errorMessage || <span className="muted">—</span>}</td>
      <td className="num">
        {dl.attempts}
        {dl.redriveCount > 0 && <div className="sub">redriven {dl.redriveCount}×</div>}
      </td>
      <td>
        <Time iso={dl.failedAt} />
      </td>
      <td>
        <span className={`badge state-${dl.state}`}>{dl.state}</span>
        {dl.parked && (
          <span className="badge parked" title="held back because an earlier record of its key failed">
            parked
          </span>
        )}
      </td>
      <td>
        {dl.state !== "pending" ? (
          <span className="muted">—</span>
        ) : (
          <div className="row-actions">
            <button type="button" onClick={() => onAction("redrive", dl)}>
              Redrive
            </button>
            <button type="button" className="danger" onClick={() => onAction("discard", dl)}>
              Discard
            </button>
          </div>
        )}
      </td>
    </tr>
  );
}
