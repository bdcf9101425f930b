// What the payment service answers (apps/payment/src/http/app.ts).
import { z } from "zod";

export const Payment = z.object({
  id: z.string(),
  orderId: z.string(),
  amount: z.number(),
  currency: z.string(),
  status: z.enum(["AUTHORIZED", "DECLINED", "REFUNDED"]),
  declineReason: z.string().nullable().optional(),
});
export type Payment = z.infer<typeof Payment>;

/** GET /payments?orderId= */
export const PaymentList = z.object({ payments: z.array(Payment) });
export type PaymentList = z.infer<typeof PaymentList>;
