// Money is an integer count of minor units; arithmetic on it stays exact, so a result beyond
// Number.MAX_SAFE_INTEGER is an error, never a silently rounded float.

/** An amount left the range where integers are exact (±2^53 − 1). */
export class MoneyOutOfRange extends RangeError {
  readonly retriable = false as const;
  readonly code = "MONEY_OUT_OF_RANGE" as const;
  constructor(what: string) {
    super(`${what} is beyond ${Number.MAX_SAFE_INTEGER}, the largest exact amount`);
    this.name = "MoneyOutOfRange";
  }
}

function checked(n: number, what: string): number {
  if (!Number.isSafeInteger(n)) throw new MoneyOutOfRange(what);
  return n;
}

/** quantity × unit price, exactly. */
export function lineAmount(quantity: number, unitPrice: number): number {
  return checked(quantity * unitPrice, `${quantity} × ${unitPrice}`);
}

/** The sum of amounts, exactly. */
export function sumMinorUnits(amounts: Iterable<number>): number {
  let sum = 0;
  for (const a of amounts) sum = checked(sum + checked(a, "an amount"), "the sum");
  return sum;
}

/** The total of order lines, exactly. */
export function totalOfItems(items: readonly { quantity: number; unitPrice: number }[]): number {
  return sumMinorUnits(items.map((i) => lineAmount(i.quantity, i.unitPrice)));
}
