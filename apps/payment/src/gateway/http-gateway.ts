// The payment gateway over HTTP: the card provider's API (apps/payment-provider simulates it)
// with the operation's idempotency key in the Idempotency-Key header and a deadline on every call.
// What can go wrong becomes an error a consumer knows what to do with: retry or dead-letter.
import { z } from "zod";
import type { GatewayDecision } from "../domain/payment.js";
import { GatewayRejectedError, GatewayUnavailableError, type GatewayRequest, type PaymentGateway } from "./gateway.js";

export interface HttpGatewayOptions {
  /** the provider's base URL, e.g. http://127.0.0.1:3006 */
  baseUrl: string;
  /** the deadline of one call, answer body included */
  timeoutMs: number;
  /** fault injection (PAYMENT_GATEWAY_FAILPOINT=unavailable): every call fails as if the provider
   *  were down, without calling it */
  unavailable?: boolean;
  fetch?: typeof fetch;
}

const AuthorizationAnswer = z.object({
  id: z.string(),
  paymentId: z.string(),
  status: z.enum(["approved", "declined"]),
  reason: z.string().optional(),
});
const RefundAnswer = z.object({ id: z.string(), paymentId: z.string(), status: z.literal("refunded") });

export class HttpPaymentGateway implements PaymentGateway {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: HttpGatewayOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  async authorize(req: GatewayRequest): Promise<GatewayDecision> {
    const a = this.read(
      "POST /v1/authorizations",
      AuthorizationAnswer,
      req,
      await this.post("/v1/authorizations", req),
    );
    return a.status === "approved"
      ? { approved: true }
      : { approved: false, reason: a.reason || "declined by the payment provider" };
  }

  async refund(req: GatewayRequest): Promise<void> {
    this.read("POST /v1/refunds", RefundAnswer, req, await this.post("/v1/refunds", req));
  }

  /** One call; resolves with the parsed body of a 2xx answer, throws for anything else. */
  private async post(path: string, req: GatewayRequest): Promise<unknown> {
    const what = `POST ${path}`;
    if (this.opts.unavailable)
      throw new GatewayUnavailableError(
        `the payment provider is unavailable (fault injection PAYMENT_GATEWAY_FAILPOINT=unavailable): ${what} not sent`,
      );
    const { idempotencyKey, ...body } = req;
    let status: number;
    let text: string;
    try {
      const res = await this.fetch(`${this.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", "idempotency-key": idempotencyKey },
        body: JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.status;
      text = await res.text(); // under the same deadline
    } catch (err) {
      // the message only: the network error as `cause` would read as a dependency outage (above)
      throw new GatewayUnavailableError(
        `${what} to the payment provider at ${this.baseUrl} failed: ${networkFailure(err, this.opts.timeoutMs)} (idempotency key ${idempotencyKey})`,
      );
    }
    if (status >= 500 || status === 429)
      throw new GatewayUnavailableError(
        `the payment provider answered ${what} with ${status}: ${problemDetail(text)} (idempotency key ${idempotencyKey})`,
      );
    if (status < 200 || status >= 300)
      throw new GatewayRejectedError(
        `the payment provider refused ${what} with ${status}: ${problemDetail(text)} (idempotency key ${idempotencyKey})`,
        status,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GatewayRejectedError(
        `the payment provider answered ${what} with ${status} and a body that is not JSON: ${text.slice(0, 200)}`,
        status,
      );
    }
  }

  private read<T extends { paymentId: string }>(
    what: string,
    schema: z.ZodType<T>,
    req: GatewayRequest,
    body: unknown,
  ): T {
    const r = schema.safeParse(body);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new GatewayRejectedError(
        `the payment provider answered ${what} with a body its API does not define: ${i?.path.join(".") || "body"}: ${i?.message}`,
        200,
      );
    }
    if (r.data.paymentId !== req.paymentId)
      throw new GatewayRejectedError(
        `the payment provider answered ${what} for payment ${r.data.paymentId}, not ${req.paymentId}`,
        200,
      );
    return r.data;
  }
}

function networkFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const { code, message } = e?.cause ?? {};
  if (message) return code && !message.includes(code) ? `${code}: ${message}` : message;
  if (code) return code;
  return e?.message ?? String(err);
}

/** the problem+json detail (or title) of an error answer, else the start of its text */
function problemDetail(text: string): string {
  try {
    const p = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (typeof p.detail === "string") return p.detail;
    if (typeof p.title === "string") return p.title;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200) || "(no body)";
}
