// The payment service's HTTP API (read-only: payments change only through events).
import { isOutage } from "@orderflow/db-kit";
import type { PaymentList } from "@orderflow/http-api/payment";
import { createListByOrderApp, type ListByOrderAppDeps } from "@orderflow/service-kit";
import type { Payment } from "../domain/payment.js";

export type AppDeps = ListByOrderAppDeps<Payment>;

const body = (payments: Payment[]): PaymentList => ({ payments });

export function createApp(deps: AppDeps) {
  return createListByOrderApp({ ...deps, isUnavailable: isOutage }, "/payments", body);
}
