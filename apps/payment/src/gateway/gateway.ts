// The payment gateway port: how payment asks the card provider to authorize or refund. Every call
// carries the idempotency key of its business operation, the same on every retry, so the provider
// applies it once and answers a repeat with its first answer.
import type { GatewayDecision } from "../domain/payment.js";

export interface GatewayRequest {
  idempotencyKey: string;
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
}

export interface PaymentGateway {
  authorize(req: GatewayRequest): Promise<GatewayDecision>;
  refund(req: GatewayRequest): Promise<void>;
}

/** The provider did not answer (timeout, connection error) or answered that it cannot now (5xx,
 *  429): worth retrying with the same key, and dead-lettered once retries run out. It never
 *  carries the network error as its `cause`: a consumer would take that for a dependency outage
 *  and wait for it forever instead of spending the record's attempts. */
export class GatewayUnavailableError extends Error {
  readonly retriable = true;
  constructor(message = "the payment gateway is unavailable") {
    super(message);
    this.name = "GatewayUnavailableError";
  }
}

/** The provider refused the request (a 4xx other than 429, or an answer that breaks its API):
 *  asking again with the same key gets the same refusal, so it is dead-lettered at once. */
export class GatewayRejectedError extends Error {
  readonly retriable = false;
  constructor(
    message: string,
    /** the provider's HTTP status (0: its answer could not be read) */
    readonly status: number,
  ) {
    super(message);
    this.name = "GatewayRejectedError";
  }
}
