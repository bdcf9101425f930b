import { describe, expect, it } from "vitest";
import {
  defaultErrorClassifier,
  errorClass,
  isOutage,
  isRetriable,
  NonRetriableError,
  RetriableError,
} from "./errors.js";

describe("isRetriable", () => {
  it("takes an explicit verdict, also from a cause", () => {
    expect(isRetriable(new RetriableError("db down"))).toBe(true);
    expect(isRetriable(new NonRetriableError("bad rule"))).toBe(false);
    expect(isRetriable(new Error("wrapped", { cause: new RetriableError("later") }))).toBe(true);
    expect(
      isRetriable(
        new NonRetriableError("bad rule", "RULE", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }),
      ),
    ).toBe(false);
  });
  it("knows network failures and timeouts", () => {
    expect(isRetriable(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isRetriable(Object.assign(new Error("x"), { name: "TimeoutError" }))).toBe(true);
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
  it("recognises a network peer that cannot be reached, however deeply wrapped", () => {
    expect(isOutage(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isOutage(new Error("x", { cause: new Error("y", { cause: { code: "ECONNRESET" } }) }))).toBe(true);
  });
  it("does not take a bad input, a conflict or an explicit verdict for an outage", () => {
    expect(isOutage(Object.assign(new Error("serialization"), { code: "40001" }))).toBe(false);
    expect(isOutage(new RetriableError("try again"))).toBe(false);
    expect(isOutage(new NonRetriableError("bad rule"))).toBe(false);
    expect(isOutage(undefined)).toBe(false);
  });
  it("is what the default classifier says", () => {
    const refused = Object.assign(new Error("connect"), { code: "ECONNREFUSED" });
    expect([defaultErrorClassifier.isOutage(refused), defaultErrorClassifier.isRetriable(refused)]).toEqual([
      true,
      true,
    ]);
  });
});
