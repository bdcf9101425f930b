import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Parser } from "@asyncapi/parser";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../../scripts/contracts.js";
import { asyncApiDocument } from "./asyncapi.js";
import { breakingChanges, currentSnapshot, type ContractSnapshot } from "./compat.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const released = JSON.parse(fs.readFileSync(path.join(root, "compat/released.json"), "utf8")) as ContractSnapshot;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("generated artefacts", () => {
  it("are up to date with the zod source (pnpm --filter @orderflow/contracts generate)", () => {
    for (const [rel, text] of Object.entries(generatedFiles())) expect(fs.readFileSync(path.join(root, rel), "utf8"), rel).toBe(text);
  });

  it("the AsyncAPI document is valid for the official parser, with every topic, message, key and header", async () => {
    const doc = asyncApiDocument("1.1.0");
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(document!.channels().all().map((c) => c.address()).sort()).toEqual(["order-events", "payment-events", "shipping-events"]);
    const placed = document!.components().messages().all().find((m) => m.id() === "OrderPlaced.v2")!;
    expect(placed.hasHeaders()).toBe(true);
    expect(Object.keys(placed.headers()!.properties() ?? {})).toContain("correlation-id");
    expect(JSON.stringify(placed.bindings().get("kafka")?.json())).toContain("order id");
  });
});

describe("the compatibility gate", () => {
  it("passes the current contracts against the released snapshot (adding OrderPlaced v2 is compatible)", () => {
    expect(breakingChanges(released, currentSnapshot("1.1.0"))).toEqual([]);
  });

  it("names the event, the field and the rule of every breaking change", () => {
    const now = clone(currentSnapshot("1.2.0"));
    const paid = now.events["OrderPaid.v1"] as any;
    delete paid.properties.data.properties.paymentId; // removed field
    paid.properties.data.properties.amount.type = "string"; // retyped field
    const cancelled = now.events["OrderCancelled.v1"] as any;
    cancelled.properties.data.required.push("detail"); // optional became required
    cancelled.properties.data.properties.reason.enum = ["PAYMENT_DECLINED"]; // narrowed enum
    const refunded = now.events["PaymentRefunded.v1"] as any;
    refunded.properties.data.properties.note = { type: "string" };
    refunded.properties.data.required.push("note"); // new required field
    delete now.events["ShipmentCancelled.v1"]; // removed event
    now.topics["payment-events"]!.key = "paymentId"; // changed key rule
    const messages = breakingChanges(released, now).map((b) => `${b.message} [${b.rule}]`);
    expect(messages).toEqual([
      "OrderCancelled.v1: data.reason: enum narrowed, \"CUSTOMER_REQUESTED\" no longer allowed [narrowed-enum]",
      "OrderCancelled.v1: data.detail: optional field became required (a producer of the released version does not send it) [new-required-field]",
      "OrderPaid.v1: data.paymentId: field removed [removed-field]",
      "OrderPaid.v1: data.amount: type changed from integer to string (retyped field) [retyped-field]",
      "PaymentRefunded.v1: data.note: new required field (a producer of the released version does not send it) [new-required-field]",
      "ShipmentCancelled.v1: event type version removed (records of it are still on the topics) [removed-event]",
      "topic payment-events: key rule changed from orderId to paymentId (per-key ordering breaks) [changed-key-rule]",
    ]);
  });
});
