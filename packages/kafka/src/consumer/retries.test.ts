import { describe, expect, it } from "vitest";
import { ECONNREFUSED, io, message, refunded, retryDeps, silent } from "../../test/fakes.js";
import { RetriableError } from "../errors.js";
import { Aborted } from "./io.js";
import { handleWithRetries, waitOutOutage } from "./retries.js";
import { plainRecord } from "./runs.js";

const incoming = () => plainRecord("payment-events", 0, message(1, refunded()), new Map())!;

describe("handling a record with retries", () => {
  it("answers nothing when the handler succeeds, after waiting out an outage", async () => {
    let calls = 0;
    const deps = retryDeps(async () => {
      if (++calls === 1) throw ECONNREFUSED();
    });
    expect(await handleWithRetries(deps, incoming(), silent, io())).toBeUndefined();
    expect(calls).toBe(2);
  });

  it("gives up once no attempt fits in the policy's total time", async () => {
    let calls = 0;
    const deps = retryDeps(
      async () => {
        calls++;
        throw new RetriableError("conflict");
      },
      { policy: { maxAttempts: 100, initialDelayMs: 50, maxDelayMs: 50, maxTotalMs: -1 } },
    );
    const failure = await handleWithRetries(deps, incoming(), silent, io(), undefined);
    expect(failure).toMatchObject({ errorClass: "RetriableError", errorMessage: "conflict", attempts: 1 });
    expect(calls).toBe(1);
  });

  it("stops waiting when the batch is given up", async () => {
    const deps = retryDeps(
      async () => {
        throw new RetriableError("conflict");
      },
      { policy: { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 1_000, maxTotalMs: 60_000 } },
    );
    await expect(
      handleWithRetries(
        deps,
        incoming(),
        silent,
        io(() => false),
        undefined,
      ),
    ).rejects.toBeInstanceOf(Aborted);
  });
});

describe("an outage wait", () => {
  it("is reported to the observer as a retry and backs off no longer than the policy's longest delay", async () => {
    const retries: string[] = [];
    const deps = retryDeps(async () => {}, {
      policy: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 5, maxTotalMs: 0 },
      observer: { retry: (o) => void retries.push(o.topic) },
    });
    const started = Date.now();
    await waitOutOutage(deps, 30, ECONNREFUSED(), silent, "payment-events", io());
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(retries).toEqual(["payment-events"]);
  });
});
