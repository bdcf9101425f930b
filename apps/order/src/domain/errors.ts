/** A command broke a business rule. Never retriable: the same command fails the same way. */
export type OrderErrorCode = "ORDER_NOT_FOUND" | "ORDER_ALREADY_EXISTS" | "ORDER_ALREADY_SHIPPED" | "CORRUPT_STREAM";

export class OrderDomainError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: OrderErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OrderDomainError";
  }
}
