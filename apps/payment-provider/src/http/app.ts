// The simulated card provider's HTTP API: authorizations and refunds keyed by an Idempotency-Key
// (the first answer is replayed for the same key and body), what it holds for tests to count,
// and the faults it injects, changeable while it runs.
import { setTimeout as sleep } from "node:timers/promises";
import type { Metrics } from "@orderflow/observability";
import { createServiceApp, HttpProblem, type ServiceAppDeps } from "@orderflow/service-kit";
import type { Request, Response } from "express";
import { z } from "zod";
import { FaultUpdate, type Faults } from "../domain/faults.js";
import { PaymentRequest, type Operation } from "../domain/payments.js";
import type { Ledger, StoredAnswer } from "../ledger.js";
import { HeldAnswers } from "./held.js";

export interface AppDeps extends Omit<ServiceAppDeps, "registry" | "readiness"> {
  metrics: Metrics;
  ledger: Ledger;
  faults: Faults;
  /** lost answers waiting to be dropped (main drops them all on shutdown) */
  held?: HeldAnswers;
}

const IDEMPOTENCY_HEADER = "Idempotency-Key";
const REPLAYED_HEADER = "Idempotent-Replayed";

const Key = z.string().regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 visible ASCII characters");
const ListQuery = z.strictObject({ orderId: z.string().min(1).optional(), paymentId: z.string().min(1).optional() });

const problemBody = (req: Request) => (status: number, title: string, detail: string) => ({
  type: "about:blank",
  title,
  status,
  detail,
  instance: req.originalUrl,
  correlationId: req.correlationId,
});

type Counter = ReturnType<Metrics["counter"]>;

interface Answer {
  answer: StoredAnswer;
  replayed: boolean;
}

/** the key every retry of one operation repeats; a missing or malformed one is a 400 naming the header */
function idempotencyKeyOf(req: Request): string {
  const rawKey = req.get(IDEMPOTENCY_HEADER);
  if (rawKey === undefined)
    throw new HttpProblem(
      400,
      "Idempotency-Key required",
      `${IDEMPOTENCY_HEADER}: the header is required: the same key on every retry of one operation`,
      { errors: [{ field: IDEMPOTENCY_HEADER, message: "is required" }] },
    );
  const key = Key.safeParse(rawKey);
  if (!key.success)
    throw new HttpProblem(400, "Invalid request", `${IDEMPOTENCY_HEADER}: ${key.error.issues[0]?.message}`, {
      errors: [{ field: IDEMPOTENCY_HEADER, message: key.error.issues[0]?.message }],
    });
  return key.data;
}

/** the simulated outage's 503, given before anything is looked up or applied, as an overloaded front end would */
function unavailable(operation: Operation, req: Request, res: Response, requests: Counter): Answer {
  const answer: StoredAnswer = {
    status: 503,
    body: problemBody(req)(
      503,
      "Service unavailable",
      "the payment provider is unavailable (simulated fault); nothing was applied: retry with the same Idempotency-Key",
    ),
    problem: true,
  };
  res.setHeader("retry-after", "1");
  requests.inc({ operation, outcome: "unavailable" });
  return { answer, replayed: false };
}

/** the ledger's answer: applied once per key, replayed for the same body, a 422 for another body */
function presented(
  ledger: Ledger,
  request: { operation: Operation; key: string; body: PaymentRequest },
  req: Request,
  requests: Counter,
): Answer {
  const { operation, key, body } = request;
  const problem = problemBody(req);
  const p = ledger.present(operation, key, body, problem);
  if (p.kind === "mismatch") {
    requests.inc({ operation, outcome: "key_reused" });
    return {
      answer: {
        status: 422,
        body: { ...problem(422, "Idempotency-Key reused", p.detail), code: "IDEMPOTENCY_KEY_REUSED" },
        problem: true,
      },
      replayed: false,
    };
  }
  const answer = p.record.answer;
  const replayed = p.kind === "replayed";
  const outcome = replayed ? "replayed" : answer.problem ? "refused" : String(answer.body.status);
  requests.inc({ operation, outcome });
  req.log.info(
    {
      operation,
      idempotencyKey: key,
      paymentId: body.paymentId,
      orderId: body.orderId,
      amount: body.amount,
      httpStatus: answer.status,
      outcome,
    },
    replayed ? "replayed the stored answer" : `${operation} ${outcome}`,
  );
  return { answer, replayed };
}

export function createApp(deps: AppDeps) {
  const held = deps.held ?? new HeldAnswers();
  const requests = deps.metrics.counter({
    name: "orderflow_provider_requests_total",
    help: "Payment provider requests by operation and outcome",
    labelNames: ["operation", "outcome"],
  });
  const lost = deps.metrics.counter({
    name: "orderflow_provider_lost_answers_total",
    help: "Answers withheld by the lost-answer fault",
    labelNames: ["operation"],
  });

  async function handle(operation: Operation, req: Request, res: Response): Promise<void> {
    const key = idempotencyKeyOf(req);
    const body = PaymentRequest.parse(req.body ?? {}); // a ZodError: 400 naming the field
    const dice = deps.faults.roll();
    const { answer, replayed } = dice.error
      ? unavailable(operation, req, res, requests)
      : presented(deps.ledger, { operation, key, body }, req, requests);

    const { latencyMs, lostAnswerHoldMs } = deps.faults.current();
    if (latencyMs > 0) await sleep(latencyMs);
    if (dice.lost && !dice.error) {
      lost.inc({ operation });
      req.log.warn(
        { operation, idempotencyKey: key, holdMs: lostAnswerHoldMs },
        "answer withheld (simulated lost answer): applied and recorded, never sent",
      );
      return held.hold(res, lostAnswerHoldMs);
    }
    res.status(answer.status).setHeader(IDEMPOTENCY_HEADER, key);
    if (replayed) res.setHeader(REPLAYED_HEADER, "true");
    if (answer.problem) res.type("application/problem+json");
    res.json(answer.body);
  }

  return createServiceApp({ ...deps, registry: deps.metrics.registry, readiness: [] }, (app) => {
    app.post("/v1/authorizations", (req, res) => handle("authorization", req, res));
    app.post("/v1/refunds", (req, res) => handle("refund", req, res));

    app.get("/v1/requests", (req, res) => {
      const q = ListQuery.parse(req.query);
      res.json(
        deps.ledger.list({
          ...(q.orderId ? { orderId: q.orderId } : {}),
          ...(q.paymentId ? { paymentId: q.paymentId } : {}),
        }),
      );
    });
    app.delete("/v1/requests", (req, res) => {
      deps.ledger.clear();
      req.log.info("forgot every request, authorization and refund");
      res.status(204).end();
    });

    app.get("/admin/faults", (_req, res) => {
      res.json(deps.faults.current());
    });
    app.put("/admin/faults", (req, res) => {
      const settings = deps.faults.update(FaultUpdate.parse(req.body ?? {}));
      req.log.warn({ faults: settings }, "fault settings changed");
      res.json(settings);
    });
  });
}
