// The shell: who is signed in (the token lives in sessionStorage), the header and navigation, and
// which view the hash selects. Any 401 from the API signs the operator out with the reason.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Session } from "@orderflow/http-api/ops-console";
import { ApiContext, createApi, request, toApiError } from "./api";
import { AuditView } from "./AuditView";
import { HealthView } from "./HealthView";
import { HistoryView } from "./HistoryView";
import { OrderDetailView } from "./OrderDetailView";
import { OrdersView } from "./OrdersView";
import { type Route, useHashRoute } from "./route";
import { SignIn } from "./SignIn";

const TOKEN_KEY = "orderflow.ops.token";

type Auth =
  | { kind: "checking"; token: string }
  | { kind: "signedOut"; message: string | null }
  | { kind: "signedIn"; token: string; session: Session };

function readStoredToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
}

function routeKey(route: Route): string {
  switch (route.view) {
    case "orders":
      return "orders"; // new filters keep the focus in the search form
    case "order":
      return `order/${route.orderId}`;
    case "unknown":
      return `unknown/${route.hash}`;
    default:
      return route.view;
  }
}

export function App() {
  const [auth, setAuth] = useState<Auth>(() => {
    const token = readStoredToken();
    return token ? { kind: "checking", token } : { kind: "signedOut", message: null };
  });
  const route = useHashRoute();

  // a token kept from earlier in this tab: check it is still good before showing anything
  const checkingToken = auth.kind === "checking" ? auth.token : null;
  useEffect(() => {
    if (!checkingToken) return;
    const ctrl = new AbortController();
    request(checkingToken, "GET", "/api/session", Session, undefined, ctrl.signal).then(
      (session) => {
        if (!ctrl.signal.aborted) setAuth({ kind: "signedIn", token: checkingToken, session });
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        const e = toApiError(err);
        storeToken(null);
        const message =
          e.status === 401 || e.status === 403
            ? `Your saved session has ended: ${e.detail}. Paste a new token to sign in again.`
            : `Could not check your saved session: ${e.detail}. Sign in again.`;
        setAuth({ kind: "signedOut", message });
      },
    );
    return () => ctrl.abort();
  }, [checkingToken]);

  const onUnauthorized = useCallback((detail: string) => {
    storeToken(null);
    setAuth({ kind: "signedOut", message: `You have been signed out: ${detail}. Paste a new token to sign in again.` });
  }, []);

  const token = auth.kind === "signedIn" ? auth.token : null;
  const api = useMemo(() => (token ? createApi(token, onUnauthorized) : null), [token, onUnauthorized]);

  const onSignedIn = useCallback((newToken: string, session: Session) => {
    storeToken(newToken);
    setAuth({ kind: "signedIn", token: newToken, session });
  }, []);

  const signOut = () => {
    storeToken(null);
    setAuth({ kind: "signedOut", message: null });
  };

  const mainRef = useFocusOnViewChange(route);
  const section = route.view === "order" ? "orders" : route.view;

  return (
    <>
      <Header session={auth.kind === "signedIn" ? auth.session : null} section={section} onSignOut={signOut} />
      <main id="main" ref={mainRef}>
        {auth.kind === "checking" && <p className="muted">Checking your session…</p>}
        {auth.kind === "signedOut" && <SignIn message={auth.message} onSignedIn={onSignedIn} />}
        {auth.kind === "signedIn" && api && (
          <ApiContext.Provider value={api}>
            <View route={route} />
          </ApiContext.Provider>
        )}
      </main>
    </>
  );
}

/** on a change of view, move focus to the new page's heading (not on the first render) */
function useFocusOnViewChange(route: Route) {
  const mainRef = useRef<HTMLElement>(null);
  const key = routeKey(route);
  const lastKey = useRef<string | null>(null);
  useEffect(() => {
    if (lastKey.current !== null && lastKey.current !== key) {
      const h1 = mainRef.current?.querySelector<HTMLElement>("h1");
      h1?.focus({ preventScroll: false });
    }
    lastKey.current = key;
  }, [key]);
  return mainRef;
}

/** the brand, and for a signed-in operator the navigation and who they are */
function Header({ session, section, onSignOut }: { session: Session | null; section: string; onSignOut: () => void }) {
  return (
    <header className="app-header">
      <p className="brand">Orderflow ops console</p>
      {session && (
        <>
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="#/orders" aria-current={section === "orders" ? "page" : undefined}>
                  Orders
                </a>
              </li>
              <li>
                <a href="#/health" aria-current={section === "health" ? "page" : undefined}>
                  Flow health
                </a>
              </li>
              <li>
                <a href="#/history" aria-current={section === "history" ? "page" : undefined}>
                  History
                </a>
              </li>
              <li>
                <a href="#/audit" aria-current={section === "audit" ? "page" : undefined}>
                  Audit
                </a>
              </li>
            </ul>
          </nav>
          <div className="who">
            <span
              title={`scopes: ${session.scopes.join(" ")}${session.expiresAt ? `; expires ${session.expiresAt}` : ""}`}
            >
              Signed in as {session.subject}
            </span>
            <button type="button" className="secondary" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </>
      )}
    </header>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "orders":
      return (
        <OrdersView key={`${route.customerId}\n${route.status}`} customerId={route.customerId} status={route.status} />
      );
    case "order":
      return <OrderDetailView key={route.orderId} orderId={route.orderId} />;
    case "health":
      return <HealthView />;
    case "history":
      return <HistoryView />;
    case "audit":
      return <AuditView />;
    case "unknown":
      return (
        <>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            There is no view at <code>{route.hash}</code>. Go to <a href="#/orders">Orders</a>.
          </p>
        </>
      );
  }
}
