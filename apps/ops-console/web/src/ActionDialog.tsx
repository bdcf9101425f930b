// The confirmation before redriving or discarding one dead letter: says exactly what will happen,
// asks for a reason when discarding, then POSTs /api/dead-letters/{redrive,discard}.
import { type FormEvent, type RefObject, useEffect, useRef, useState } from "react";
import { type ActionRequest, ActionResponse, type DeadLetterView } from "@orderflow/http-api/ops-console";
import { type Api, toApiError, useApi } from "./api";
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

/** POST the action; whatever happens, an outcome to show */
async function perform(
  api: Api,
  action: DeadLetterAction,
  body: ActionRequest & { id: string },
  idempotencyKey: string,
): Promise<ActionOutcome> {
  try {
    return describe(action, await api.post(`/api/dead-letters/${action}`, body, ActionResponse, { idempotencyKey }));
  } catch (err) {
    const p = toApiError(err);
    return { kind: "error", text: `Could not ${action} ${body.id}: ${p.detail}` };
  }
}

interface ActionDialogProps {
  action: DeadLetterAction;
  deadLetter: DeadLetterView;
  /** pending records of the same key and group parked behind this one */
  parkedBehind: number;
  onDone: (outcome: ActionOutcome) => void;
  onClose: () => void;
}

export function ActionDialog({ action, deadLetter, parkedBehind, onDone, onClose }: ActionDialogProps) {
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
  const redrive = action === "redrive";

  const confirm = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const body: ActionRequest & { id: string } = { group: dl.group, id: dl.id };
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
    onDone(await perform(api, action, body, idempotencyKey));
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
        <Explanation action={action} deadLetter={dl} parkedBehind={parkedBehind} />
        <Facts deadLetter={dl} />
        {!redrive && (
          <ReasonField
            reasonRef={reasonRef}
            reason={reason}
            error={reasonError}
            onChange={(value) => {
              setReason(value);
              if (reasonError) setReasonError(null);
            }}
          />
        )}
        <Buttons redrive={redrive} busy={busy} confirmRef={confirmRef} onCancel={() => dialogRef.current?.close()} />
        {busy && <p className="muted">Working…</p>}
      </form>
    </dialog>
  );
}

/** what confirming will do, to which record and group, and what else it may release */
function Explanation({
  action,
  deadLetter: dl,
  parkedBehind,
}: {
  action: DeadLetterAction;
  deadLetter: DeadLetterView;
  parkedBehind: number;
}) {
  const what = dl.eventType ?? `the record${dl.eventId ? ` (event ${dl.eventId})` : ""}`;
  const key = dl.key ?? "(no key)";
  const redrive = action === "redrive";
  return (
    <>
      <p id="action-what" className="what">
        {redrive
          ? `Re-publish ${what} of key ${key} to ${dl.originalTopic} for group ${dl.group} only.`
          : `Discard ${what} of key ${key} for group ${dl.group} only: it is marked discarded and not re-published to ${dl.originalTopic}.`}
      </p>
      <p className="hint">
        {redrive
          ? `Other consumer groups are not affected. The dead letter is marked redriven and an audit entry is recorded under your name.`
          : `Other consumer groups are not affected. An audit entry with your reason is recorded under your name.`}
        {parkedBehind > 0 &&
          ` ${plural(parkedBehind, "record")} of this key parked behind it in this group may be released as well.`}
      </p>
    </>
  );
}

function Facts({ deadLetter: dl }: { deadLetter: DeadLetterView }) {
  return (
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
  );
}

function ReasonField({
  reasonRef,
  reason,
  error,
  onChange,
}: {
  reasonRef: RefObject<HTMLTextAreaElement | null>;
  reason: string;
  error: string | null;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor="discard-reason">Reason</label>
      <textarea
        id="discard-reason"
        ref={reasonRef}
        rows={3}
        value={reason}
        onChange={(e) => onChange(e.target.value)}
        required
        aria-required="true"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "discard-reason-error" : undefined}
      />
      {error && (
        <p id="discard-reason-error" className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function Buttons({
  redrive,
  busy,
  confirmRef,
  onCancel,
}: {
  redrive: boolean;
  busy: boolean;
  confirmRef: RefObject<HTMLButtonElement | null>;
  onCancel: () => void;
}) {
  return (
    <div className="actions">
      <button type="submit" ref={confirmRef} className={redrive ? undefined : "danger"} disabled={busy}>
        {redrive ? "Confirm redrive" : "Confirm discard"}
      </button>
      <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
