// Small shared pieces: timestamps, ids, status badges, amounts.
import type { OrderSummary } from "@orderflow/http-api/ops-console";

/** a server timestamp, shown as sent (ISO 8601, UTC) */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} className="nowrap">
      {iso}
    </time>
  );
}

/** a long identifier: monospace, allowed to wrap anywhere, full value in the title */
export function Id({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <code className="id" title={value}>
      {value}
    </code>
  );
}

export function StatusBadge({ status }: { status: OrderSummary["status"] }) {
  const label = status ?? "UNKNOWN";
  return <span className={`badge status-${label.toLowerCase()}`}>{label}</span>;
}

/** amounts are integers in the currency's minor unit (1250 EUR = 12.50 EUR) */
export function formatMoney(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return "—";
  if (!currency) return String(amount);
  try {
    const fmt = new Intl.NumberFormat("en", { style: "currency", currency });
    const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
    return fmt.format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** integers as they are, fractions to one decimal */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
