import { describe, expect, it } from "vitest";
import { databaseErrors, isOutage, isRetriable } from "./errors.js";

// the shape of @orderflow/kafka's RetriableError / NonRetriableError: a verdict of their own
const verdict = (retriable: boolean, cause?: unknown) => Object.assign(new Error("verdict", { cause }), { retriable });

describe("isRetriable", () => {
  it("takes an explicit verdict", () => {
    expect(isRetriable(verdict(true))).toBe(true);
    expect(isRetriable(verdict(false))).toBe(false);
    expect(isRetriable(verdict(false, Object.assign(new Error("x"), { code: "40001" })))).toBe(false);
  });
  it("knows connection failures, PostgreSQL and Prisma transient codes, also as causes", () => {
    expect(isRetriable(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isRetriable(Object.assign(new Error("x"), { code: "40001" }))).toBe(true);
    expect(isRetriable(Object.assign(new Error("x"), { code: "P2034" }))).toBe(true);
    expect(isRetriable(new Error("wrapped", { cause: Object.assign(new Error("y"), { code: "57P01" }) }))).toBe(true);
  });
  it("treats anything else as not retriable", () => {
    expect(isRetriable(new Error("boom"))).toBe(false);
    expect(isRetriable(Object.assign(new Error("unique"), { code: "P2002" }))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});

describe("isOutage", () => {
  it("recognises a database or network that is away, however deeply wrapped", () => {
    expect(isOutage(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isOutage(new Error("query failed", { cause: { kind: "DatabaseNotReachable", host: "db" } }))).toBe(true);
    expect(isOutage(new Error("x", { cause: Object.assign(new Error("y"), { code: "57P01" }) }))).toBe(true);
    // a raw query outside a transaction while PostgreSQL restarts
    const rawQueryFailed = Object.assign(
      new Error("Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`"),
      {
        name: "PrismaClientKnownRequestError",
        code: "P2010",
        meta: { driverAdapterError: { name: "DriverAdapterError", cause: { kind: "ConnectionClosed" } } },
      },
    );
    expect(isOutage(rawQueryFailed)).toBe(true);
    expect(
      isOutage(
        Object.assign(new Error("Raw query failed"), {
          code: "P2010",
          meta: { driverAdapterError: { name: "DriverAdapterError", cause: { kind: "UniqueConstraintViolation" } } },
        }),
      ),
    ).toBe(false);
    expect(isOutage(new Error("Connection terminated unexpectedly"))).toBe(true);
  });
  it("does not take a bad input or a conflict for an outage", () => {
    expect(isOutage(Object.assign(new Error("unique"), { code: "P2002" }))).toBe(false);
    expect(isOutage(Object.assign(new Error("serialization"), { code: "40001" }))).toBe(false);
    expect(isOutage(verdict(false))).toBe(false);
    expect(isOutage(undefined)).toBe(false);
  });
  it("makes an outage retriable", () => {
    expect(isRetriable(new Error("q", { cause: { kind: "ConnectionClosed" } }))).toBe(true);
  });
  it("is what the consumer's classifier says", () => {
    const restarting = new Error("the database system is shutting down");
    expect([databaseErrors.isOutage(restarting), databaseErrors.isRetriable(restarting)]).toEqual([true, true]);
  });
});
