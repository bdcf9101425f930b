// The page's only way to the server: fetch with the operator's bearer token, answers parsed with
// the console API's schemas (@orderflow/http-api/ops-console), problem+json errors turned into
// ApiError, and a 401 anywhere reported once to the app (which signs the operator out).
import { createContext, useContext, useEffect, useState } from "react";
import { mismatch } from "@orderflow/http-api/mismatch";
import type { z } from "zod";

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;

  constructor(status: number, title: string, detail: string) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail || title;
  }
}

/** any thrown value as an ApiError (status 0 for network failures and the like) */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof Error) return new ApiError(0, "Request failed", `could not reach the server (${err.message})`);
  return new ApiError(0, "Request failed", String(err));
}

const TIMEOUT_MS = 15_000;

async function problemOf(res: Response): Promise<ApiError> {
  const fallback = res.statusText || `HTTP ${res.status}`;
  let title = fallback;
  let detail = "";
  try {
    const type = res.headers.get("content-type") ?? "";
    if (type.includes("json")) {
      const body: unknown = await res.json();
      if (body && typeof body === "object") {
        const p = body as { title?: unknown; detail?: unknown };
        if (typeof p.title === "string" && p.title) title = p.title;
        if (typeof p.detail === "string") detail = p.detail;
      }
    } else {
      detail = (await res.text()).trim().slice(0, 300);
    }
  } catch {
    // an unreadable body: the status line has to do
  }
  return new ApiError(res.status, title, detail);
}

/** a 2xx body as its schema says, or an ApiError naming what the schema found wrong */
function answerOf<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ApiError(
    0,
    "Unexpected answer",
    `the server's answer does not have the expected shape (${mismatch(parsed.error)})`,
  );
}

/** one request with the bearer token; resolves with the JSON body, parsed with `schema` */
export async function request<S extends z.ZodType>(
  token: string,
  method: "GET" | "POST",
  path: string,
  schema: S,
  body?: unknown,
  signal?: AbortSignal,
  extraHeaders: Record<string, string> = {},
): Promise<z.infer<S>> {
  const ctrl = new AbortController();
  const forward = () => ctrl.abort(signal?.reason);
  if (signal?.aborted) forward();
  signal?.addEventListener("abort", forward, { once: true });
  const timer = setTimeout(
    () => ctrl.abort(new ApiError(0, "Timed out", `no answer from the server within ${TIMEOUT_MS / 1000} s`)),
    TIMEOUT_MS,
  );
  const headers: Record<string, string> = {
    Accept: "application/json, application/problem+json",
    Authorization: `Bearer ${token}`,
    ...extraHeaders,
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const res = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: ctrl.signal,
      cache: "no-store",
    });
    if (!res.ok) throw await problemOf(res);
    return answerOf(schema, res.status === 204 ? undefined : await res.json());
  } catch (err) {
    if (ctrl.signal.aborted && ctrl.signal.reason instanceof ApiError) throw ctrl.signal.reason;
    throw signal?.aborted ? err : toApiError(err);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", forward);
  }
}

export interface Api {
  get<S extends z.ZodType>(path: string, schema: S, signal?: AbortSignal): Promise<z.infer<S>>;
  /** `idempotencyKey`: the same for every attempt at one action, so a retry acts once */
  post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    opts?: { signal?: AbortSignal; idempotencyKey?: string },
  ): Promise<z.infer<S>>;
}

/** the API as seen by a signed-in operator: `onUnauthorized` runs on any 401 */
export function createApi(token: string, onUnauthorized: (detail: string) => void): Api {
  const call = async <S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    body: unknown,
    signal?: AbortSignal,
    headers?: Record<string, string>,
  ): Promise<z.infer<S>> => {
    try {
      return await request(token, method, path, schema, body, signal, headers);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onUnauthorized(err.detail);
      throw err;
    }
  };
  return {
    get: (path, schema, signal) => call("GET", path, schema, undefined, signal),
    post: (path, body, schema, opts) =>
      call(
        "POST",
        path,
        schema,
        body,
        opts?.signal,
        opts?.idempotencyKey ? { "Idempotency-Key": opts.idempotencyKey } : undefined,
      ),
  };
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside a signed-in session");
  return api;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
}

/**
 * GET `path`, parsed with `schema` (a module-level constant), again whenever `reloadKey` changes.
 * While reloading the same path the previous data stays; a failed reload keeps it too, next to
 * the error.
 */
export function useApiGet<S extends z.ZodType>(path: string, schema: S, reloadKey: unknown = 0): Loaded<z.infer<S>> {
  type T = z.infer<S>;
  const api = useApi();
  const [state, setState] = useState<{
    path: string;
    data?: T | undefined;
    error?: ApiError | undefined;
    loading: boolean;
  }>({ path, loading: true });
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey is read nowhere: a new value is what asks for the fetch again
  useEffect(() => {
    const ctrl = new AbortController();
    setState((s) => (s.path === path ? { ...s, loading: true } : { path, loading: true }));
    api.get(path, schema, ctrl.signal).then(
      (data) => {
        if (!ctrl.signal.aborted) setState({ path, data, loading: false });
      },
      (err: unknown) => {
        if (!ctrl.signal.aborted)
          setState((s) => ({
            path,
            data: s.path === path ? s.data : undefined,
            error: toApiError(err),
            loading: false,
          }));
      },
    );
    return () => ctrl.abort();
  }, [api, path, schema, reloadKey]);
  if (state.path !== path) return { data: undefined, error: undefined, loading: true };
  return { data: state.data, error: state.error, loading: state.loading };
}
