import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeadLetterIndex, KafkaClient, Publisher } from "@orderflow/kafka";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsole } from "./console.js";

const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const fromEvents = {
  orderId: "o-events",
  status: "PAID",
  customerId: "c",
  items: [],
  currency: "EUR",
  totalAmount: 100,
  shippingAddress: address,
  shippingSpeed: "STANDARD",
  payment: { paymentId: "p", amount: 100 },
  version: 2,
  readModel: { source: "event-store", note: "not projected yet" },
};

/** the order service's answers by path */
const answers: Record<string, { status: number; body: unknown }> = {
  "/orders/o-events": { status: 200, body: fromEvents },
  "/orders/o-bad": { status: 200, body: { ...fromEvents, totalAmount: "100" } },
  "/orders/o-gone": {
    status: 404,
    body: { type: "about:blank", title: "Order not found", status: 404, detail: "order o-gone does not exist" },
  },
};

let server: Server;
let orderUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const a = answers[req.url ?? ""] ?? { status: 500, body: {} };
    res.writeHead(a.status, { "content-type": "application/json" }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  orderUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function console() {
  const index = { list: () => [] } as unknown as DeadLetterIndex;
  return createConsole({
    kafka: {} as KafkaClient,
    publisher: {} as Publisher,
    index,
    orderUrl,
    relayUrl: "http://127.0.0.1:1",
    healthCacheMs: 0,
    maxRedrives: 3,
    log: pino({ level: "silent" }),
  });
}

describe("the console reading the order service", () => {
  it("shows an order not projected yet from its own events: paid means authorized, no timeline", async () => {
    const o = await console().order("Bearer t", "o-events");
    expect(o).toMatchObject({
      orderId: "o-events",
      status: "PAID",
      readModel: "event-store",
      payment: { status: "AUTHORIZED", amount: 100, declineReason: null },
      shipment: null,
      timeline: [],
    });
  });

  it("answers 502 naming the field when the order service's answer does not parse", async () => {
    await expect(console().order("Bearer t", "o-bad")).rejects.toMatchObject({
      status: 502,
      detail: expect.stringMatching(/totalAmount/),
    });
  });

  it("passes the order service's 404 on with its title and detail", async () => {
    await expect(console().order("Bearer t", "o-gone")).rejects.toMatchObject({
      status: 404,
      title: "Order not found",
      detail: "order o-gone does not exist",
    });
  });
});
