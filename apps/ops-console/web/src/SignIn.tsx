// Sign-in: the operator pastes a bearer token; GET /api/session says whose it is.
import { type FormEvent, useState } from "react";
import { Session } from "@orderflow/http-api/ops-console";
import { request, toApiError } from "./api";

/** what the operator pasted, as the bare token (no whitespace, no "Bearer " prefix) */
function cleanToken(raw: string): string {
  return raw
    .trim()
    .replace(/^bearer\s+/i, "")
    .replace(/\s+/g, "");
}

export function SignIn({
  message,
  onSignedIn,
}: {
  message: string | null;
  onSignedIn: (token: string, session: Session) => void;
}) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const t = cleanToken(token);
    if (!t) {
      setError("Paste a token first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await request(t, "GET", "/api/session", Session);
      onSignedIn(t, session);
    } catch (err) {
      const e2 = toApiError(err);
      setError(
        e2.status === 401 || e2.status === 403 ? `${e2.title}: ${e2.detail}` : `Could not sign in: ${e2.detail}`,
      );
      setBusy(false);
    }
  };

  const alert = error ?? message;
  return (
    <section className="sign-in" aria-labelledby="sign-in-heading">
      <h1 id="sign-in-heading" tabIndex={-1}>
        Sign in
      </h1>
      {alert && (
        <p role="alert" className="banner error">
          {alert}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <label htmlFor="token">Operator token</label>
        <p id="token-hint" className="hint">
          Paste a token from <code>pnpm orderflow token --scope "ops orders:read"</code>. It is kept in this tab only
          (sessionStorage) until you sign out.
        </p>
        <textarea
          id="token"
          name="token"
          rows={5}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby="token-hint"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          required
        />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
      </form>
    </section>
  );
}
