import { describe, expect, it } from "vitest";
import { errorClass, isOutage, isRetriable, NonRetriableError, RetriableError } from "./errors.js";

describe("isRetriable", () => {
  it("takes an explicit verdict", () => {
    expect(isRetriable(new RetriableError("db down"))).toBe(true);
    expect(isRetriable(new NonRetriableError("bad rule"))).toBe(false);
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
  it("names the error class", () => {
    expect(errorClass(new RetriableError("x"))).toBe("RetriableError");
    expect(errorClass(new TypeError("x"))).toBe("TypeError");
  });
});

describe("isOutage", () => {
  it("recognises a database or network that is away, however deeply wrapped", () => {
    expect(isOutage(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isOutage(new Error("query failed", { cause: { kind: "DatabaseNotReachable", host: "db" } }))).toBe(true);
    expect(isOutage(new Error("x", { cause: Object.assign(new Error("y"), { code: "57P01" }) }))).toBe(true);
    // a raw query outside a transaction while PostgreSQL restarts (seen in the reliability suite)
    const rawQueryFailed = Object.assign(new Error("Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`"), { name: "PrismaClientKnownRequestError", code: "P2010", meta: { driverAdapterError: { name: "DriverAdapterError", cause: { kind: "ConnectionClosed" } } } });
    expect(isOutage(rawQueryFailed)).toBe(true);
    expect(isOutage(Object.assign(new Error("Raw query failed"), { code: "P2010", meta: { driverAdapterError: { name: "DriverAdapterError", cause: { kind: "UniqueConstraintViolation" } } } }))).toBe(false);
    expect(isOutage(new Error("Connection terminated unexpectedly"))).toBe(true);
  });
  it("does not take a bad input or a conflict for an outage", () => {
    expect(isOutage(Object.assign(new Error("unique"), { code: "P2002" }))).toBe(false);
    expect(isOutage(Object.assign(new Error("serialization"), { code: "40001" }))).toBe(false);
    expect(isOutage(new NonRetriableError("bad rule"))).toBe(false);
    expect(isOutage(undefined)).toBe(false);
  });
  it("makes an outage retriable", () => {
    expect(isRetriable(new Error("q", { cause: { kind: "ConnectionClosed" } }))).toBe(true);
  });
});
