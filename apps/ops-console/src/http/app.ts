// The console's HTTP surface: the page at `/` (built, or Vite's dev server under `pnpm dev`), its
// JSON API under `/api` (every route needs a bearer token with the `ops` scope), health and
// metrics like every service.
import fs from "node:fs";
import path from "node:path";
import express from "express";
import helmet from "helmet";
import { z } from "zod";
import { isOutage } from "@orderflow/kafka";
import {
  createServiceApp,
  HttpProblem,
  idempotentInMemory,
  requireScope,
  SCOPES,
  type ServiceAppDeps,
  type Verifier,
} from "@orderflow/service-kit";
import {
  type AuditList,
  type DeadLetterList,
  HistoryChartName,
  type OrderList,
  type Session,
} from "@orderflow/http-api/ops-console";
import type { Console } from "../console.js";
import type { History } from "../history/prometheus.js";

export interface AppDeps extends ServiceAppDeps {
  console: Console;
  verify: Verifier;
  /** the history charts' source (Prometheus) */
  history: History;
  /** the built page (dist/web); the API works without it */
  webDir: string;
  /** Vite's dev server in middleware mode (OPS_PAGE=vite): serves the page from web/ instead */
  devPage?: express.RequestHandler;
  /** how long an action's answer is kept for a retry with the same Idempotency-Key */
  idempotencyTtlMs?: number;
}

const ORDER_STATUS = z.enum(["PLACED", "PAID", "SHIPPED", "CANCELLED"]);
const ListOrdersQuery = z.strictObject({
  customerId: z.string().min(1).max(200).optional(),
  status: ORDER_STATUS.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const DeadLettersQuery = z.strictObject({
  group: z.string().min(1).max(200).optional(),
  key: z.string().min(1).max(200).optional(),
  state: z.enum(["pending", "redriven", "discarded", "all"]).default("pending"),
});
const Selection = {
  group: z.string().min(1).max(200),
  id: z.string().min(1).max(500).optional(),
  key: z.string().min(1).max(200).optional(),
};
const oneOf = (b: { id?: string | undefined; key?: string | undefined }) =>
  (b.id === undefined) !== (b.key === undefined);
const oneOfError = {
  message: "give exactly one of id (one dead letter) or key (every pending one of the key)",
  path: ["id"],
};
const RedriveBody = z.strictObject(Selection).refine(oneOf, oneOfError);
const DiscardBody = z
  .strictObject({ ...Selection, reason: z.string().trim().min(1, "say why the record is given up").max(500) })
  .refine(oneOf, oneOfError);
const OrderId = z.string().min(1).max(200);
const HistoryParams = z.object({ chart: HistoryChartName });

/** the verified token's expiry, for the page to warn before it lapses */
function expiryOf(token: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      exp?: unknown;
    };
    return typeof payload.exp === "number" ? new Date(payload.exp * 1000).toISOString() : null;
  } catch {
    return null;
  }
}

export function createApp(deps: AppDeps) {
  const ops = requireScope(deps.verify, SCOPES.ops);
  const hasPage = fs.existsSync(path.join(deps.webDir, "index.html"));
  return createServiceApp({ ...deps, isUnavailable: isOutage }, (app) => {
    app.use(pageSecurityHeaders(deps.devPage !== undefined));
    app.use("/api", ops);
    // a redrive or discard retried with its Idempotency-Key (the page sends one per confirmation)
    // acts once: the console has no database, so the answers are kept in memory (one replica)
    app.use("/api/dead-letters", idempotentInMemory({ ttlMs: deps.idempotencyTtlMs ?? 24 * 3600_000 }));
    addApiRoutes(app, deps);
    if (deps.devPage) app.use(deps.devPage);
    else addPage(app, deps.webDir, hasPage);
  });
}

/** The page loads only its own scripts and styles, and is never framed. Vite's dev server
 *  (`dev`) adds an inline script (React's refresh), inline styles (CSS on edit) and its reload
 *  websocket on a port of its own, so only there are those allowed too. */
function pageSecurityHeaders(dev: boolean) {
  const inline = dev ? ["'unsafe-inline'"] : [];
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...inline],
        styleSrc: ["'self'", ...inline],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'", ...(dev ? ["ws:"] : [])],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
  });
}

/** the JSON API under /api; the scope check and idempotency are mounted before these */
function addApiRoutes(app: express.Express, deps: AppDeps): void {
  app.get("/api/session", (req, res) => {
    const token = req.headers.authorization!.replace(/^Bearer\s+/i, "");
    const body: Session = {
      subject: req.principal!.subject,
      scopes: req.principal!.scopes,
      expiresAt: expiryOf(token),
    };
    res.json(body);
  });

  app.get("/api/orders", async (req, res) => {
    const q = ListOrdersQuery.parse(req.query);
    const body: OrderList = { orders: await deps.console.listOrders(req.headers.authorization!, q) };
    res.json(body);
  });

  app.get("/api/orders/:id", async (req, res) => {
    res.json(await deps.console.order(req.headers.authorization!, OrderId.parse(req.params.id)));
  });

  app.get("/api/health", async (_req, res) => {
    res.set("cache-control", "no-store").json(await deps.console.health());
  });

  app.get("/api/dead-letters", (req, res) => {
    const q = DeadLettersQuery.parse(req.query);
    const body: DeadLetterList = { deadLetters: deps.console.deadLetters(q) };
    res.json(body);
  });

  app.post("/api/dead-letters/redrive", async (req, res) => {
    res.json(await deps.console.act("redrive", RedriveBody.parse(req.body ?? {}), req.principal!.subject));
  });

  app.post("/api/dead-letters/discard", async (req, res) => {
    res.json(await deps.console.act("discard", DiscardBody.parse(req.body ?? {}), req.principal!.subject));
  });

  // a fixed query per chart name (history/queries.ts): the page never sends PromQL
  app.get("/api/history/:chart", async (req, res) => {
    const { chart } = HistoryParams.parse(req.params);
    res.set("cache-control", "no-store").json(await deps.history.chart(chart));
  });

  app.get("/api/audit", (_req, res) => {
    const body: AuditList = { entries: deps.console.audit() };
    res.json(body);
  });
}

/** the built page at `/`, or a 503 saying how to build it (the API works either way) */
function addPage(app: express.Express, webDir: string, hasPage: boolean): void {
  if (hasPage)
    app.use(
      express.static(webDir, {
        index: "index.html",
        maxAge: "1h",
        setHeaders: (res, file) => file.endsWith("index.html") && res.setHeader("cache-control", "no-cache"),
      }),
    );
  else {
    app.get("/", () => {
      throw new HttpProblem(
        503,
        "Page not built",
        "run `pnpm --filter @orderflow/ops-console build` (the API under /api works without it)",
      );
    });
  }
}
