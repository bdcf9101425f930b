// The payment gateway port. A real provider's adapter implements this; calls carry the payment
// id as the idempotency key, so a redelivered event asks the same question and gets the same answer.
import type { GatewayDecision } from "../domain/payment.js";

export interface AuthorizeRequest {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
}

export interface PaymentGateway {
  authorize(req: AuthorizeRequest): Promise<GatewayDecision>;
  refund(req: { paymentId: string; amount: number; currency: string }): Promise<void>;
}

/** The provider did not answer: worth retrying, and dead-lettered once retries run out. */
export class GatewayUnavailableError extends Error {
  readonly retriable = true;
  constructor(message = "the payment gateway is unavailable") {
    super(message);
    this.name = "GatewayUnavailableError";
  }
}

/** Deterministic stand-in for a provider: approves any amount up to `declineAbove` (minor units),
 *  after `latencyMs` (a provider's round trip: fault tests use it to make handlers slow); with
 *  `unavailable` every call fails as a provider outage would. */
export class SimulatedGateway implements PaymentGateway {
  constructor(
    private readonly declineAbove: number,
    private readonly latencyMs = 0,
    private readonly unavailable = false,
  ) {}

  async authorize(req: AuthorizeRequest): Promise<GatewayDecision> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.unavailable) throw new GatewayUnavailableError();
    if (req.amount > this.declineAbove) {
      return { approved: false, reason: `amount ${req.amount} ${req.currency} exceeds the simulated limit of ${this.declineAbove}` };
    }
    return { approved: true };
  }

  async refund(): Promise<void> {}
}
