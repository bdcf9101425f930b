// What the simulated card provider decides for an authorization or a refund. Pure: ids come in
// as data, and the payment's earlier authorizations are passed in.
import { z } from "zod";

export const PaymentRequest = z.strictObject({
  paymentId: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  orderId: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  amount: z
    .number({ error: "must be an amount in minor units" })
    .int("must be a whole number of minor units")
    .positive("must be positive")
    .max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code (three capital letters)"),
});
export type PaymentRequest = z.infer<typeof PaymentRequest>;

export type Operation = "authorization" | "refund";

export interface Authorization {
  id: string;
  paymentId: string;
  orderId: string;
  status: "approved" | "declined";
  reason?: string;
  amount: number;
  currency: string;
}

export interface Refund {
  id: string;
  paymentId: string;
  status: "refunded";
  amount: number;
  currency: string;
}

/** a refusal with the HTTP status and words a provider would answer */
export interface Refusal {
  status: 404 | 409 | 422;
  title: string;
  detail: string;
}

export function authorize(id: string, req: PaymentRequest, declineAbove: number): Authorization {
  const base = { id, paymentId: req.paymentId, orderId: req.orderId, amount: req.amount, currency: req.currency };
  if (req.amount > declineAbove)
    return {
      ...base,
      status: "declined",
      reason: `amount ${req.amount} ${req.currency} exceeds the simulated limit of ${declineAbove}`,
    };
  return { ...base, status: "approved" };
}

/** A refund gives back an approved authorization of the payment, once; `refunded` holds the ids
 *  of the authorizations already refunded. */
export function refund(
  id: string,
  req: PaymentRequest,
  authorizations: readonly Authorization[],
  refunded: ReadonlySet<string>,
): { refund: Refund; of: Authorization } | Refusal {
  const approved = authorizations.filter((a) => a.status === "approved");
  if (approved.length === 0) {
    return authorizations.length === 0
      ? { status: 404, title: "No such payment", detail: `no authorization for payment ${req.paymentId}` }
      : {
          status: 409,
          title: "Payment not authorized",
          detail: `payment ${req.paymentId} was declined: there is nothing to refund`,
        };
  }
  const open = approved.find((a) => !refunded.has(a.id));
  if (!open) return { status: 409, title: "Already refunded", detail: `payment ${req.paymentId} is already refunded` };
  if (req.currency !== open.currency)
    return {
      status: 422,
      title: "Currency mismatch",
      detail: `payment ${req.paymentId} was authorized in ${open.currency}, not ${req.currency}`,
    };
  if (req.amount > open.amount)
    return {
      status: 422,
      title: "Amount too large",
      detail: `refund of ${req.amount} exceeds the authorized ${open.amount} ${open.currency} of payment ${req.paymentId}`,
    };
  return {
    refund: { id, paymentId: req.paymentId, status: "refunded", amount: req.amount, currency: req.currency },
    of: open,
  };
}
