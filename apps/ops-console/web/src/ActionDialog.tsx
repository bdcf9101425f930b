// The confirmation before redriving or discarding one dead letter: says exactly what will happen,
// asks for a reason when discarding, then POSTs /api/dead-letters/{redrive,discard}.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { type ActionRequest, ActionResponse, type DeadLetterView } from "@orderflow/http-api/ops-console";
import { toApiError, useApi } from "./api";
import { plural } from "./ui";

/** 128 random bits; getRandomValues, unlike randomUUID, also exists on a page served over plain http */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export type DeadLetterAction = "redrive" | "discard";

export interface ActionOutcome {
  kind: "ok" | "warn" | "error";
  text: string;
}

function describe(action: DeadLetterAction, r: ActionResponse): ActionOutcome {
  const verb = action === "redrive" ? "Redriven" : "Discarded";
  const parts: string[] = [];
  parts.push(r.done.length > 0 ? `${verb} ${plural(r.done.length, "dead letter")}` : `Not ${verb.toLowerCase()}`);
  if (r.released.length > 0) parts.push(`released ${plural(r.released.length, "parked record")}`);
  if (r.refused.length > 0) parts.push(`refused: ${r.refused.map((x) => `${x.id} (${x.why})`).join("; ")}`);
  const first = r.audit[0];
  if (first) {
    parts.push(
      r.audit.length === 1
        ? `audit entry recorded at ${first.at} by ${first.operator}`
        : `${r.audit.length} audit entries recorded at ${first.at} by ${first.operator}`,
    );
  }
  const kind = r.refused.length === 0 ? "ok" : r.done.length > 0 ? "warn" : "error";
  return { kind, text: parts.join(", ") };
}

export function ActionDialog({
  action,
  deadLetter,
  parkedBehind,
  onDone,
  onClose,
}: {
  action: DeadLetterAction;
  deadLetter: DeadLetterView;
  /** pending records of the same key and group parked behind this one */
  parkedBehind: number;
  onDone: (outcome: ActionOutcome) => void;
  onClose: () => void;
}) {
  const api = useApi();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // one key for this dialog's action: confirming again after a lost answer acts once
  const idempotencyKey = useRef(newKey()).current;

  useEffect(() => {
    const d = dialogRef.current;
    if (!d) return;
    if (!d.open) d.showModal();
    (action === "discard" ? reasonRef.current : confirmRef.current)?.focus();
  }, [action]);

  const dl = deadLetter;
  const what = dl.eventType ?? `the record${dl.eventId ? ` (event ${dl.eventId})` : ""}`;
  const key = dl.key ?? "(no key)";
  const redrive = action === "redrive";

  const confirm = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const body: ActionRequest = { group: dl.group, id: dl.id };
    if (!redrive) {
      const r = reason.trim();
      if (!r) {
        setReasonError("A reason is required to discard.");
        reasonRef.current?.focus();
        return;
      }
      body.reason = r;
    }
    setBusy(true);
    let outcome: ActionOutcome;
    try {
      const res = await api.post(`/api/dead-letters/${action}`, body, ActionResponse, { idempotencyKey });
      outcome = describe(action, res);
    } catch (err) {
      const p = toApiError(err);
      outcome = { kind: "error", text: `Could not ${action} ${dl.id}: ${p.detail}` };
    }
    onDone(outcome);
    dialogRef.current?.close();
  };

  return (
    <dialog
      ref={dialogRef}
      className="confirm"
      aria-labelledby="action-title"
      aria-describedby="action-what"
      onClose={onClose}
      onCancel={(e) => {
        if (busy) e.preventDefault();
      }}
    >
      <form onSubmit={confirm} noValidate>
        <h2 id="action-title">{redrive ? "Redrive dead letter" : "Discard dead letter"}</h2>
        <p id="action-what" className="what">
          {redrive
            ? `Re-publish ${what} of key ${key} to ${dl.originalTopic} for group ${dl.group} only.`
            : `Discard ${what} of key ${key} for group ${dl.group} only: it is marked discarded and not re-published to ${dl.originalTopic}.`}
        </p>
        <p className="hint">
          {redrive
            ? `Other consumer groups are not affected. The dead letter is marked redriven and an audit entry is recorded under your name.`
            : `Other consumer groups are not affected. An audit entry with your reason is recorded under your name.`}
          {parkedBehind > 0 && ` ${plural(parkedBehind, "record")} of this key parked behind it in this group may be released as well.`}
        </p>
        <dl className="facts">
          <dt>Dead letter</dt>
          <dd>
            <code className="id">{dl.id}</code>
          </dd>
          <dt>Original record</dt>
          <dd>
            <code className="id">
              {dl.originalTopic}/{dl.originalPartition}@{dl.originalOffset}
            </code>
          </dd>
          <dt>Error</dt>
          <dd>
            <code>{dl.errorClass}</code>: {dl.errorMessage}
          </dd>
        </dl>
        {!redrive && (
          <div className="field">
            <label htmlFor="discard-reason">Reason</label>
            <textarea
              id="discard-reason"
              ref={reasonRef}
              rows={3}
              value={reason}
              onChange={(e) => {
                setReason(e.target.value);
                if (reasonError) setReasonError(null);
              }}
              required
              aria-required="true"
              aria-invalid={reasonError ? true : undefined}
              aria-describedby={reasonError ? "discard-reason-error" : undefined}
            />
            {reasonError && (
              <p id="discard-reason-error" className="field-error">
                {reasonError}
              </p>
            )}
          </div>
        )}
        <div className="actions">
          <button type="submit" ref={confirmRef} className={redrive ? undefined : "danger"} disabled={busy}>
            {redrive ? "Confirm redrive" : "Confirm discard"}
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => dialogRef.current?.close()}>
            Cancel
          </button>
        </div>
        {busy && <p className="muted">Working…</p>}
      </form>
    </dialog>
  );
}
