// An order's events in causal order: each event after the event that caused it (its causationId),
// events with the same cause by time. Clocks of three services never decide "what came first"
// alone: a payment recorded a millisecond "before" the order it pays still shows after it.
import type { TimelineEvent } from "@orderflow/http-api/ops-console";

export type TimelineEntry = Omit<TimelineEvent, "depth">;

const byTime = (a: TimelineEntry, b: TimelineEntry) =>
  a.occurredAt.localeCompare(b.occurredAt) || a.eventId.localeCompare(b.eventId);

export function causalOrder(entries: TimelineEntry[]): TimelineEvent[] {
  const ids = new Set(entries.map((e) => e.eventId));
  const children = new Map<string, TimelineEntry[]>();
  const roots: TimelineEntry[] = [];
  for (const e of entries) {
    // an event whose cause is not in this order's timeline (a command, or an event not seen yet) starts a chain
    if (e.causationId && ids.has(e.causationId) && e.causationId !== e.eventId)
      children.set(e.causationId, [...(children.get(e.causationId) ?? []), e]);
    else roots.push(e);
  }
  const out: TimelineEvent[] = [];
  const placed = new Set<string>();
  const visit = (e: TimelineEntry, depth: number) => {
    if (placed.has(e.eventId)) return;
    placed.add(e.eventId);
    out.push({ ...e, depth });
    for (const c of (children.get(e.eventId) ?? []).sort(byTime)) visit(c, depth + 1);
  };
  for (const r of roots.sort(byTime)) visit(r, 0);
  // a causation cycle (never written by Orderflow) still shows every event, by time
  for (const e of [...entries].sort(byTime)) visit(e, 0);
  return out;
}
