import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe("createLogger", () => {
  it("writes JSON lines with the service, and never a secret's value", () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: "svc" }, stream);
    log.info(
      {
        authorization: "Bearer eyJhbGciOi.secret.sig",
        password: "hunter2",
        sasl: { mechanism: "scram-sha-512", username: "order", password: "kafka-pass" },
        req: { headers: { authorization: "Bearer abc" } },
        env: { DATABASE_URL: "postgresql://u:pw-in-url@db/x", AUTH_JWT_SECRET: "s3cr3t-s3cr3t" },
      },
      "configured",
    );
    const out = lines.join("");
    for (const secret of ["eyJhbGciOi", "hunter2", "kafka-pass", "Bearer abc", "pw-in-url", "s3cr3t"])
      expect(out).not.toContain(secret);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      service: "svc",
      msg: "configured",
      password: "[redacted]",
      authorization: "[redacted]",
    });
  });
});

describe("createLogger's format", () => {
  it("writes JSON unless told otherwise", () => {
    const { lines, stream } = capture();
    createLogger({ service: "svc" }, stream).info({ orderId: "o-1" }, "order placed");
    expect(JSON.parse(lines.join(""))).toMatchObject({ level: "info", service: "svc", orderId: "o-1" });
  });

  it("writes pino-pretty's lines for a person with format pretty, still without secrets", () => {
    const { lines, stream } = capture();
    createLogger({ service: "svc", format: "pretty" }, stream).warn(
      { orderId: "o-1", password: "hunter2" },
      "order placed",
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes pino-pretty writes
    const out = lines.join("").replace(/\u001b\[[0-9;]*m/g, "");
    expect(() => JSON.parse(out)).toThrow();
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: svc: order placed\n/);
    expect(out).toContain('orderId: "o-1"');
    expect(out).not.toContain("hunter2");
  });
});
