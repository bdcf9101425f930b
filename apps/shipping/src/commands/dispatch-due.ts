// Hands due PENDING shipments to the carrier. Rows are claimed with SKIP LOCKED, so several
// shipping replicas share the work and a shipment being cancelled is left alone. A round is four
// round trips however many are due: begin, the claim, their new states with their events, commit.
import { emit } from "@orderflow/db-kit";
import { claimDueShipments, writeShipments } from "../db/shipments.js";
import { dispatch } from "../domain/shipment.js";
import { SERVICE, type ShippingDeps } from "./deps.js";

export async function dispatchDue(deps: ShippingDeps, limit = 50): Promise<number> {
  const src = { source: SERVICE, clock: deps.clock, newId: deps.newId };
  return deps.db.$transaction(async (tx) => {
    const due = await claimDueShipments(tx, limit);
    // each event continues the trace and correlation of the order event that created its shipment
    const dispatched = due
      .map((row) => ({ row, ...dispatch(row) }))
      .map((d) => ({
        ...d,
        emitted: emit(src, d.outcome, {
          correlationId: d.row.correlationId,
          causationId: d.row.causationId,
          traceparent: d.row.traceparent ?? undefined,
        }),
      }));
    await writeShipments(
      tx,
      [],
      dispatched.map((d) => ({ shipment: d.shipment, cancelReason: null })),
      dispatched.map((d) => d.emitted.outbox),
    );
    for (const { row, shipment, emitted } of dispatched)
      deps.log.info(
        {
          orderId: row.orderId,
          shipmentId: row.id,
          correlationId: row.correlationId,
          emittedId: emitted.event.id,
          carrier: shipment.carrier,
        },
        "shipment dispatched",
      );
    return due.length;
  });
}

/** Runs dispatchDue every `intervalMs` until stopped, and at once when `dueAt` names an earlier
 *  moment (this replica's consumer created shipments falling due then; the poll still finds
 *  those of other replicas and from before a restart), and again at once after a full round.
 *  A failed round is logged and retried. */
export function startDispatcher(
  deps: ShippingDeps,
  intervalMs: number,
  limit = 50,
): { stop(): Promise<void>; dueAt(at: Date): void } {
  let stopped = false;
  let running = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity; // when the timer fires
  let wanted = Infinity; // the earliest moment asked for while a round ran
  let failing = false;
  const schedule = (at: number) => {
    if (stopped || at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, at - Date.now()));
  };
  const tick = () => {
    timerAt = Infinity;
    wanted = Infinity;
    running = true;
    current = dispatchDue(deps, limit)
      .then((n) => {
        if (failing) deps.log.info("dispatcher recovered");
        failing = false;
        if (n >= limit) wanted = Date.now(); // more are due
      })
      .catch((e: unknown) => {
        if (!failing) deps.log.error({ err: e }, "dispatch round failed; retrying");
        failing = true;
      })
      .finally(() => {
        running = false;
        schedule(Math.min(Date.now() + intervalMs, wanted));
      });
  };
  tick();
  return {
    dueAt(at) {
      if (running) wanted = Math.min(wanted, at.getTime());
      else schedule(at.getTime());
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
