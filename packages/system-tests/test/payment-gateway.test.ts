// payment's HTTP gateway against the real provider simulator, both in this process (the simulator
// on an ephemeral port): the adapter and the API it speaks cannot drift apart, and every fault the
// simulator injects reaches payment as the error a consumer retries or dead-letters. Apps do not
// import apps, so this meeting of the two lives here.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isOutage, isRetriable } from "@orderflow/kafka";
import { createMetrics } from "@orderflow/observability";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  GatewayRejectedError,
  GatewayUnavailableError,
  type GatewayRequest,
} from "../../../apps/payment/src/gateway/gateway.js";
import { HttpPaymentGateway } from "../../../apps/payment/src/gateway/http-gateway.js";
import { Faults } from "../../../apps/payment-provider/src/domain/faults.js";
import { createApp } from "../../../apps/payment-provider/src/http/app.js";
import { HeldAnswers } from "../../../apps/payment-provider/src/http/held.js";
import { Ledger } from "../../../apps/payment-provider/src/ledger.js";

const NO_FAULTS = { latencyMs: 0, errorRate: 0, lostAnswerRate: 0, lostAnswerHoldMs: 5_000 };
const faults = new Faults(NO_FAULTS, 1);
const ledger = new Ledger({ clock: () => new Date(), newId: () => crypto.randomUUID(), declineAbove: 100_000 });
const held = new HeldAnswers();
let server: Server;
let url: string;
let gateway: HttpPaymentGateway;

beforeAll(async () => {
  server = createApp({
    log: pino({ level: "silent" }),
    metrics: createMetrics("payment-provider"),
    ledger,
    faults,
    held,
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateway = new HttpPaymentGateway({ baseUrl: url, timeoutMs: 300 });
});

afterAll(async () => {
  held.dropAll();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  ledger.clear();
  faults.update(NO_FAULTS);
});

let n = 0;
const aPayment = (amount = 3000): GatewayRequest => {
  n += 1;
  return {
    idempotencyKey: `authorize:order-${n}`,
    paymentId: `pay-${n}`,
    orderId: `order-${n}`,
    amount,
    currency: "EUR",
  };
};
const refundOf = (p: GatewayRequest): GatewayRequest => ({ ...p, idempotencyKey: `refund:${p.orderId}` });
const summary = () => ledger.list().summary;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: Error) => e,
  );

describe("payment's gateway against the provider simulator", () => {
  it("approves, declines above the limit with the reason, and refunds", async () => {
    const p = aPayment();
    expect(await gateway.authorize(p)).toEqual({ approved: true });
    expect(await gateway.authorize(aPayment(100_001))).toEqual({
      approved: false,
      reason: "amount 100001 EUR exceeds the simulated limit of 100000",
    });
    await gateway.refund(refundOf(p));
    expect(summary()).toMatchObject({ authorizations: 2, approved: 1, declined: 1, refunds: 1 });
  });

  it("a retried call with the same key charges once", async () => {
    const p = aPayment();
    await gateway.authorize(p);
    await gateway.authorize(p);
    await gateway.refund(refundOf(p));
    await gateway.refund(refundOf(p));
    expect(summary()).toMatchObject({ authorizations: 1, refunds: 1, replays: 2 });
  });

  it("a provider answering 503 is retriable, not an outage, and nothing was charged", async () => {
    faults.update({ errorRate: 1 });
    const err = await failure(gateway.authorize(aPayment()));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect([isRetriable(err), isOutage(err)]).toEqual([true, false]);
    expect(summary().authorizations).toBe(0);
  });

  it("a lost answer times out as retriable; the retry with the same key gets the first answer, one charge", async () => {
    const p = aPayment();
    faults.update({ lostAnswerRate: 1 });
    const err = await failure(gateway.authorize(p));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(err.message).toMatch(/no answer within 300 ms/);
    expect([isRetriable(err), isOutage(err)]).toEqual([true, false]);
    expect(summary()).toMatchObject({ authorizations: 1, approved: 1 }); // applied all the same
    faults.update({ lostAnswerRate: 0 });
    expect(await gateway.authorize(p)).toEqual({ approved: true });
    expect(ledger.list().requests).toMatchObject([{ key: p.idempotencyKey, presentedCount: 2, status: "approved" }]);
  });

  it("a provider slower than the deadline is retriable", async () => {
    faults.update({ latencyMs: 500 });
    const err = await failure(gateway.authorize(aPayment()));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(isOutage(err)).toBe(false);
  });

  it("refusals are not retriable and name the provider's problem", async () => {
    const unknown = await failure(gateway.refund(refundOf(aPayment())));
    expect(unknown).toBeInstanceOf(GatewayRejectedError);
    expect(unknown.message).toMatch(/404: no authorization for payment pay-\d+/);
    expect(isRetriable(unknown)).toBe(false);

    const p = aPayment();
    await gateway.authorize(p);
    const reused = await failure(gateway.authorize({ ...p, amount: p.amount + 1 }));
    expect(reused).toBeInstanceOf(GatewayRejectedError);
    expect((reused as GatewayRejectedError).status).toBe(422);
    expect(reused.message).toMatch(/was first used with another body/);
    expect(isRetriable(reused)).toBe(false);
  });

  it("a provider that is not running is retriable, not an outage", async () => {
    const gone = new HttpPaymentGateway({ baseUrl: "http://127.0.0.1:1", timeoutMs: 300 });
    const err = await failure(gone.authorize(aPayment()));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect([isRetriable(err), isOutage(err)]).toEqual([true, false]);
  });
});
