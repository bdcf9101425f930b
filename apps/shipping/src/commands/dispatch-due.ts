// Hands due PENDING shipments to the carrier. Rows are claimed with SKIP LOCKED, so several
// shipping replicas share the work and a shipment being cancelled is left alone.
import { saveOutcome, SHIPMENT_COLUMNS, type ShipmentRow } from "../db/shipments.js";
import { dispatch } from "../domain/shipment.js";
import { SERVICE, type ShippingDeps } from "./deps.js";

export async function dispatchDue(deps: ShippingDeps, limit = 50): Promise<number> {
  return deps.db.$transaction(async (tx) => {
    const due = await tx.$queryRawUnsafe<ShipmentRow[]>(
      `SELECT ${SHIPMENT_COLUMNS} FROM shipments
       WHERE status = 'PENDING' AND dispatch_after <= now()
       ORDER BY dispatch_after
       LIMIT $1
       FOR UPDATE SKIP LOCKED`,
      limit,
    );
    for (const row of due) {
      const id = row.id;
      const r = dispatch(row);
      const emitted = await saveOutcome(tx, r.shipment, r.outcome, { id: deps.newId(), occurredAt: deps.clock().toISOString(), correlationId: row.correlationId, causationId: row.causationId, source: SERVICE, traceparent: row.traceparent ?? undefined });
      deps.log.info({ orderId: row.orderId, shipmentId: id, correlationId: row.correlationId, emittedId: emitted, carrier: r.shipment.carrier }, "shipment dispatched");
    }
    return due.length;
  });
}

/** Runs dispatchDue every `intervalMs` until stopped; a failed round is logged and retried. */
export function startDispatcher(deps: ShippingDeps, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  const tick = () => {
    current = dispatchDue(deps)
      .then((n) => {
        if (failing) deps.log.info("dispatcher recovered");
        failing = false;
        return n;
      })
      .catch((e: unknown) => {
        if (!failing) deps.log.error({ err: e }, "dispatch round failed; retrying");
        failing = true;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
