// The HTTP adapter against a scripted provider on a loopback port: what it sends, and how every way
// a provider call can go wrong reaches the consumer (retry then dead-letter, or dead-letter now;
// never "outage", which a consumer would wait out forever). The adapter against the real
// simulator: packages/system-tests/test/payment-gateway.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isOutage, isRetriable } from "@orderflow/kafka";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayRejectedError, GatewayUnavailableError, type GatewayRequest } from "./gateway.js";
import { HttpPaymentGateway } from "./http-gateway.js";

const req: GatewayRequest = {
  idempotencyKey: "authorize:order-1",
  paymentId: "pay-1",
  orderId: "order-1",
  amount: 3000,
  currency: "EUR",
};
const servers: Server[] = [];
const seen: {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingMessage["headers"];
  body: unknown;
}[] = [];

async function provider(answer: (req: IncomingMessage, res: ServerResponse, body: unknown) => void): Promise<string> {
  const server = createServer((r, res) => {
    let text = "";
    r.on("data", (c: Buffer) => (text += c.toString("utf8")));
    r.on("end", () => {
      const body = text ? JSON.parse(text) : undefined;
      seen.push({ method: r.method, url: r.url, headers: r.headers, body });
      answer(r, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (res: ServerResponse, status: number, body: unknown, type = "application/json") => {
  res.writeHead(status, { "content-type": type });
  res.end(JSON.stringify(body));
};

afterEach(async () => {
  seen.length = 0;
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

/** what a consumer makes of the failure */
async function failure(p: Promise<unknown>): Promise<{ err: Error; retriable: boolean; outage: boolean }> {
  const err = await p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: Error) => e,
  );
  return { err, retriable: isRetriable(err), outage: isOutage(err) };
}

describe("HttpPaymentGateway", () => {
  it("authorizes with the idempotency key in its header and the payment in the body", async () => {
    const url = await provider((_r, res, b) => json(res, 200, { id: "auth_1", ...(b as object), status: "approved" }));
    const gateway = new HttpPaymentGateway({ baseUrl: `${url}/`, timeoutMs: 1000 });
    expect(await gateway.authorize(req)).toEqual({ approved: true });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/v1/authorizations",
      body: { paymentId: "pay-1", orderId: "order-1", amount: 3000, currency: "EUR" },
    });
    expect(seen[0]!.headers["idempotency-key"]).toBe("authorize:order-1");
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
  });

  it("returns a decline with the provider's reason", async () => {
    const url = await provider((_r, res, b) =>
      json(res, 200, {
        id: "auth_1",
        ...(b as object),
        status: "declined",
        reason: "amount 3000 EUR exceeds the simulated limit of 1000",
      }),
    );
    expect(await new HttpPaymentGateway({ baseUrl: url, timeoutMs: 1000 }).authorize(req)).toEqual({
      approved: false,
      reason: "amount 3000 EUR exceeds the simulated limit of 1000",
    });
  });

  it("refunds through /v1/refunds", async () => {
    const url = await provider((_r, res, b) => json(res, 200, { id: "re_1", ...(b as object), status: "refunded" }));
    await new HttpPaymentGateway({ baseUrl: url, timeoutMs: 1000 }).refund({
      ...req,
      idempotencyKey: "refund:order-1",
    });
    expect(seen[0]).toMatchObject({ url: "/v1/refunds" });
    expect(seen[0]!.headers["idempotency-key"]).toBe("refund:order-1");
  });

  it.each([503, 500, 429])("a %i is a provider outage to retry with the same key, then dead-letter", async (status) => {
    const url = await provider((_r, res) =>
      json(res, status, { title: "Service unavailable", status, detail: "try later" }, "application/problem+json"),
    );
    const f = await failure(new HttpPaymentGateway({ baseUrl: url, timeoutMs: 1000 }).authorize(req));
    expect(f.err).toBeInstanceOf(GatewayUnavailableError);
    expect(f.err.message).toMatch(new RegExp(`with ${status}: try later`));
    expect([f.retriable, f.outage]).toEqual([true, false]);
  });

  it("no answer within the timeout is retriable, not an outage", async () => {
    const url = await provider(() => {}); // holds every request
    const t0 = Date.now();
    const f = await failure(new HttpPaymentGateway({ baseUrl: url, timeoutMs: 150 }).authorize(req));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(f.err).toBeInstanceOf(GatewayUnavailableError);
    expect(f.err.message).toMatch(/no answer within 150 ms/);
    expect(f.err.cause).toBeUndefined();
    expect([f.retriable, f.outage]).toEqual([true, false]);
  });

  it("a refused connection or a dropped one is retriable, not an outage (no network error as cause)", async () => {
    const closed = await provider(() => {});
    await new Promise((resolve) => servers.pop()!.close(resolve)); // nothing listens there now
    const refused = await failure(new HttpPaymentGateway({ baseUrl: closed, timeoutMs: 1000 }).authorize(req));
    expect(refused.err).toBeInstanceOf(GatewayUnavailableError);
    expect(refused.err.message).toMatch(/ECONNREFUSED/);
    expect(refused.err.cause).toBeUndefined();
    expect([refused.retriable, refused.outage]).toEqual([true, false]);

    const dropping = await provider((r) => r.socket.destroy());
    const dropped = await failure(new HttpPaymentGateway({ baseUrl: dropping, timeoutMs: 1000 }).refund(req));
    expect(dropped.err).toBeInstanceOf(GatewayUnavailableError);
    expect([dropped.retriable, dropped.outage]).toEqual([true, false]);
  });

  it("any other 4xx is a refusal, dead-lettered at once, naming the provider's problem", async () => {
    const url = await provider((_r, res) =>
      json(
        res,
        404,
        { type: "about:blank", title: "No such payment", status: 404, detail: "no authorization for payment pay-1" },
        "application/problem+json",
      ),
    );
    const f = await failure(new HttpPaymentGateway({ baseUrl: url, timeoutMs: 1000 }).refund(req));
    expect(f.err).toBeInstanceOf(GatewayRejectedError);
    expect((f.err as GatewayRejectedError).status).toBe(404);
    expect(f.err.message).toMatch(/refused POST \/v1\/refunds with 404: no authorization for payment pay-1/);
    expect([f.retriable, f.outage]).toEqual([false, false]);
  });

  it("an answer outside the provider's API is a refusal", async () => {
    const garbage = await provider((_r, res) => json(res, 200, { ok: true }));
    const f = await failure(new HttpPaymentGateway({ baseUrl: garbage, timeoutMs: 1000 }).authorize(req));
    expect(f.err).toBeInstanceOf(GatewayRejectedError);
    expect(f.err.message).toMatch(/a body its API does not define: id: /);
    const otherPayment = await provider((_r, res, b) =>
      json(res, 200, { id: "auth_1", ...(b as object), paymentId: "pay-2", status: "approved" }),
    );
    expect(
      (await failure(new HttpPaymentGateway({ baseUrl: otherPayment, timeoutMs: 1000 }).authorize(req))).err.message,
    ).toMatch(/for payment pay-2, not pay-1/);
  });

  it("with the unavailable failpoint fails every call without calling", async () => {
    const url = await provider((_r, res) => json(res, 200, {}));
    const f = await failure(
      new HttpPaymentGateway({ baseUrl: url, timeoutMs: 1000, unavailable: true }).authorize(req),
    );
    expect(f.err).toBeInstanceOf(GatewayUnavailableError);
    expect([f.retriable, f.outage]).toEqual([true, false]);
    expect(seen).toEqual([]);
  });
});
