// The shipping service's HTTP API (read-only: shipments change only through events).
import { isOutage } from "@orderflow/db-kit";
import type { ShipmentList } from "@orderflow/http-api/shipping";
import { createListByOrderApp, type ListByOrderAppDeps } from "@orderflow/service-kit";
import type { Shipment } from "../domain/shipment.js";

export type AppDeps = ListByOrderAppDeps<Shipment>;

const body = (shipments: Shipment[]): ShipmentList => ({ shipments });

export function createApp(deps: AppDeps) {
  return createListByOrderApp({ ...deps, isUnavailable: isOutage }, "/shipments", body);
}
