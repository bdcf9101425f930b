import { describe, expect, it } from "vitest";
import { startServerSpan } from "./http-tracing.js";
import { consumerTracing, traceSends } from "./messaging-tracing.js";
import { initTracing } from "./tracing.js";

const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("tracing off (the default)", () => {
  initTracing({ service: "test", version: "1.0.0", environment: "test", exporter: "none" });

  it("records nothing but hands the incoming traceparent on unchanged", () => {
    const span = startServerSpan({ method: "GET", path: "/x", scheme: "http", httpVersion: "1.1", traceparent: tp });
    expect(span.traceparent).toBe(tp);
    let ran = false;
    span.run(() => (ran = true));
    span.end("/x", 200);
    expect(ran).toBe(true);
    const none = startServerSpan({
      method: "GET",
      path: "/",
      scheme: "http",
      httpVersion: "1.1",
      traceparent: undefined,
    });
    expect(none.traceparent).toBeUndefined();
  });

  it("sends the records as they are and leaves a consumed record's traceparent alone", async () => {
    const records = [{ topic: "order-events", key: "k", headers: { traceparent: tp } }];
    const send = traceSends(records);
    expect(send.records).toBe(records);
    send.sent([{ partition: 0, offset: "1" }]);
    const headers = { traceparent: tp };
    const seen = await consumerTracing.around(
      { group: "g", records: [{ topic: "order-events", key: "k", partition: 0, offset: "1", headers }] },
      async () => headers.traceparent,
    );
    expect(seen).toBe(tp);
  });
});
