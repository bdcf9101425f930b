import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Parser } from "@asyncapi/parser";
import { Ajv as AjvDraft7 } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../../scripts/contracts.js";
import { EVENT_DEFINITIONS, parseEvent } from "../registry.js";
import { asyncApiDocument } from "./asyncapi.js";
import {
  breakingChanges,
  compareVersions,
  compatGate,
  currentSnapshot,
  releaseVerdict,
  type ContractSnapshot,
} from "./compat.js";
import { SCHEMA_DIRS, schemaId } from "./json-schema.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const released = JSON.parse(fs.readFileSync(path.join(root, "compat/released.json"), "utf8")) as ContractSnapshot;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
// ajv-formats is CommonJS with a default export: under NodeNext its default import is the module
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020 | AjvDraft7) => void;
const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(root, rel), "utf8")) as object;

const orderId = "0193a5b0-0000-7000-8000-000000000001";
const otherId = "0193a5b0-0000-7000-8000-000000000002";
const address = { name: "Ada", line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const money = { amount: 2500, currency: "EUR" };
/** a valid `data` for every event type and version (a new one must add its sample here) */
const SAMPLE_DATA: Record<string, Record<string, unknown>> = {
  "OrderPlaced.v1": {
    orderId,
    customerId: "c-1",
    items: [{ sku: "A", quantity: 2, unitPrice: 1250 }],
    currency: "EUR",
    totalAmount: 2500,
    shippingAddress: address,
  },
  "OrderPlaced.v2": {
    orderId,
    customerId: "c-1",
    items: [{ sku: "A", quantity: 2, unitPrice: 1250 }],
    currency: "EUR",
    totalAmount: 2500,
    shippingAddress: address,
    shippingSpeed: "EXPRESS",
  },
  "OrderPaid.v1": { orderId, paymentId: otherId, ...money, shippingAddress: address },
  "OrderShipped.v1": { orderId, shipmentId: otherId, carrier: "DHL", trackingNumber: "T-1" },
  "OrderCancelled.v1": { orderId, reason: "CUSTOMER_REQUESTED", detail: "changed my mind" },
  "PaymentAuthorized.v1": { orderId, paymentId: otherId, ...money },
  "PaymentDeclined.v1": { orderId, paymentId: otherId, ...money, reason: "insufficient funds" },
  "PaymentRefunded.v1": { orderId, paymentId: otherId, ...money },
  "ShipmentDispatched.v1": { orderId, shipmentId: otherId, carrier: "DHL", trackingNumber: "T-1" },
  "ShipmentCancelled.v1": { orderId, shipmentId: otherId, reason: "order cancelled" },
};
const sampleEvent = (type: string, version: number) => ({
  id: "0193a5b0-0000-7000-8000-0000000000e1",
  type,
  version,
  occurredAt: "2026-01-01T00:00:00.000+01:00",
  aggregateId: orderId,
  correlationId: "corr-1",
  causationId: null,
  source: "test",
  data: SAMPLE_DATA[schemaId(type, version)],
});
/** the event as a producer one version ahead might send it: an unknown field in every object */
const withAddedFields = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(withAddedFields)
    : v && typeof v === "object"
      ? {
          ...Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withAddedFields(x)])),
          addedLater: { any: "thing" },
        }
      : v;

describe("generated artefacts", () => {
  it("are up to date with the zod source (pnpm --filter @orderflow/contracts generate)", () => {
    for (const [rel, text] of Object.entries(generatedFiles()))
      expect(fs.readFileSync(path.join(root, rel), "utf8"), rel).toBe(text);
  });

  it("the AsyncAPI document is valid for the official parser, with every topic, message, key and header", async () => {
    const doc = asyncApiDocument("1.1.0");
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join(".")}: ${d.message}`)).toEqual([]);
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address())
        .sort(),
    ).toEqual(["order-events", "payment-events", "shipping-events"]);
    const placed = document!
      .components()
      .messages()
      .all()
      .find((m) => m.id() === "OrderPlaced.v2")!;
    expect(placed.hasHeaders()).toBe(true);
    expect(Object.keys(placed.headers()!.properties() ?? {})).toContain("correlation-id");
    expect(JSON.stringify(placed.bindings().get("kafka")?.json())).toContain("order id");
  });
});

describe("the JSON Schemas, checked with ajv (draft 2020-12)", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const schema = (dir: string, id: string) => ajv.compile(readJson(`generated/${dir}/${id}.json`));

  it("have a sample for every event type and version", () => {
    expect(Object.keys(SAMPLE_DATA).sort()).toEqual(EVENT_DEFINITIONS.map((d) => schemaId(d.type, d.version)).sort());
  });

  for (const d of EVENT_DEFINITIONS) {
    const id = schemaId(d.type, d.version);
    it(`${id}: the reader schema accepts an added field wherever the zod reader does; the producer schema refuses it`, () => {
      const event = sampleEvent(d.type, d.version);
      const newer = withAddedFields(event);
      const reader = schema(SCHEMA_DIRS.reader, id);
      const producer = schema(SCHEMA_DIRS.producer, id);
      expect(parseEvent(event).ok).toBe(true);
      expect(reader(event), ajv.errorsText(reader.errors)).toBe(true);
      expect(producer(event), ajv.errorsText(producer.errors)).toBe(true);

      expect(parseEvent(newer).ok).toBe(true); // the zod reader: tolerant, drops what it does not know
      expect(reader(newer), ajv.errorsText(reader.errors)).toBe(true);
      expect(producer(newer)).toBe(false);
      expect(producer.errors!.map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`)).toContain(
        ' additionalProperties {"additionalProperty":"addedLater"}',
      );
    });
  }

  it("still refuse what the readers refuse: a missing field, a wrong type, an unknown enum value", () => {
    const e = sampleEvent("OrderPlaced", 2) as { data: Record<string, unknown> };
    const reader = schema(SCHEMA_DIRS.reader, "OrderPlaced.v2");
    for (const bad of [
      { ...e, data: { ...e.data, shippingSpeed: undefined } },
      { ...e, data: { ...e.data, totalAmount: "2500" } },
      { ...e, data: { ...e.data, shippingSpeed: "OVERNIGHT" } },
      { ...e, id: "not-a-uuid" },
    ]) {
      const wire = JSON.parse(JSON.stringify(bad)) as unknown;
      expect(parseEvent(wire).ok).toBe(false);
      expect(reader(wire)).toBe(false);
    }
  });

  it("the AsyncAPI payloads are the reader schemas (draft-07): they accept an added field too", () => {
    const draft7 = new AjvDraft7({ allErrors: true, strict: true });
    addFormats(draft7);
    const doc = readJson("generated/asyncapi.json") as {
      components: { messages: Record<string, { payload: object; "x-reader-schema": string }> };
    };
    for (const d of EVENT_DEFINITIONS) {
      const id = schemaId(d.type, d.version);
      const message = doc.components.messages[id]!;
      expect(message["x-reader-schema"]).toBe(`@orderflow/contracts/json-schema/${id}.json`);
      const validate = draft7.compile(message.payload);
      expect(
        validate(withAddedFields(sampleEvent(d.type, d.version))),
        `${id}: ${draft7.errorsText(validate.errors)}`,
      ).toBe(true);
    }
  });
});

describe("the compatibility gate", () => {
  it("passes the current contracts against the released snapshot (adding OrderPlaced v2 is compatible)", () => {
    expect(breakingChanges(released, currentSnapshot("1.1.0"))).toEqual([]);
  });

  it("names the event, the field and the rule of every breaking change", () => {
    const now = clone(currentSnapshot("1.2.0"));
    // biome-ignore lint/suspicious/noExplicitAny: the test edits a JSON Schema in place, deep paths a schema type would need a guard for at each step
    const paid = now.events["OrderPaid.v1"] as any;
    delete paid.properties.data.properties.paymentId; // removed field
    paid.properties.data.properties.amount.type = "string"; // retyped field
    // biome-ignore lint/suspicious/noExplicitAny: the test edits a JSON Schema in place, deep paths a schema type would need a guard for at each step
    const cancelled = now.events["OrderCancelled.v1"] as any;
    cancelled.properties.data.required.push("detail"); // optional became required
    cancelled.properties.data.properties.reason.enum = ["PAYMENT_DECLINED"]; // narrowed enum
    // biome-ignore lint/suspicious/noExplicitAny: the test edits a JSON Schema in place, deep paths a schema type would need a guard for at each step
    const refunded = now.events["PaymentRefunded.v1"] as any;
    refunded.properties.data.properties.note = { type: "string" };
    refunded.properties.data.required.push("note"); // new required field
    delete now.events["ShipmentCancelled.v1"]; // removed event
    now.topics["payment-events"]!.key = "paymentId"; // changed key rule
    const messages = breakingChanges(released, now).map((b) => `${b.message} [${b.rule}]`);
    expect(messages).toEqual([
      'OrderCancelled.v1: data.reason: enum narrowed, "CUSTOMER_REQUESTED" no longer allowed [narrowed-enum]',
      "OrderCancelled.v1: data.detail: optional field became required (a producer of the released version does not send it) [new-required-field]",
      "OrderPaid.v1: data.paymentId: field removed [removed-field]",
      "OrderPaid.v1: data.amount: type changed from integer to string (retyped field) [retyped-field]",
      "PaymentRefunded.v1: data.note: new required field (a producer of the released version does not send it) [new-required-field]",
      "ShipmentCancelled.v1: event type version removed (records of it are still on the topics) [removed-event]",
      "topic payment-events: key rule changed from orderId to paymentId (per-key ordering breaks) [changed-key-rule]",
    ]);
  });
});

describe("the gate and the released version", () => {
  const current = currentSnapshot(released.version);
  const broken = () => {
    const now = clone(current);
    // biome-ignore lint/suspicious/noExplicitAny: the test edits a JSON Schema in place, deep paths a schema type would need a guard for at each step
    delete (now.events["OrderPaid.v1"] as any).properties.data.properties.paymentId;
    return now;
  };
  const major = `${Number(released.version.split(".")[0]) + 1}.0.0`;

  it("the snapshot is the package's released version", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
    expect(released.version).toBe(pkg.version);
    expect(compatGate({ released, current, packageVersion: pkg.version }).ok).toBe(true);
  });

  it("fails when package.json moved on without compat:release (or the other way round)", () => {
    const v = compatGate({ released, current, packageVersion: "9.9.9" });
    expect(v.ok).toBe(false);
    expect(v.lines[0]).toBe(
      `compat/released.json records the contracts ${released.version}, but the package's last released version (package.json) is 9.9.9.`,
    );
  });

  it("allows a breaking change only into a pending major version, naming the events and fields either way", () => {
    for (const pending of [
      undefined,
      { version: "1.2.0", bump: "minor" as const },
      { version: "1.1.1", bump: "patch" as const },
    ]) {
      const v = compatGate({ released, current: broken(), packageVersion: released.version, pending });
      expect(v.ok).toBe(false);
      expect(v.lines).toContain("  OrderPaid.v1: data.paymentId: field removed  [removed-field]");
      expect(v.lines.join("\n")).toMatch(/needs a major version/);
    }
    const ok = compatGate({
      released,
      current: broken(),
      packageVersion: released.version,
      pending: { version: major, bump: "major" },
    });
    expect(ok.ok).toBe(true);
    expect(ok.lines[0]).toContain(`allowed: the pending release ${major} is a major version`);
    expect(ok.breaking.map((b) => `${b.event} ${b.field}`)).toEqual(["OrderPaid.v1 data.paymentId"]);
  });

  it("compat:release records a new version, refuses to rewrite a released one or to break under a minor", () => {
    expect(releaseVerdict({ previous: released, current: clone(released), packageVersion: released.version }).ok).toBe(
      true,
    );
    expect(
      releaseVerdict({ previous: released, current: broken(), packageVersion: released.version }).lines[0],
    ).toMatch(/already released and differ/);
    expect(releaseVerdict({ previous: released, current, packageVersion: "1.0.0" }).ok).toBe(false);
    expect(releaseVerdict({ previous: released, current: broken(), packageVersion: "1.2.0" }).ok).toBe(false);
    expect(releaseVerdict({ previous: released, current: broken(), packageVersion: major }).ok).toBe(true);
    expect(compareVersions("2.0.0-next.1", "2.0.0")).toBeLessThan(0);
    expect(compareVersions("1.10.0", "1.9.3")).toBeGreaterThan(0);
  });
});
