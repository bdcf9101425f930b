import { describe, expect, it } from "vitest";
import { pgConfigFromUrl } from "./engine.js";

describe("pgConfigFromUrl", () => {
  // the shadow-database factory overrides `database`: a connectionString would win over it
  it("splits a URL into discrete connection fields, decoding credentials", () => {
    expect(pgConfigFromUrl("postgresql://app%40x:p%2Fw@db.local:6543/orders")).toEqual({
      host: "db.local",
      port: 6543,
      user: "app@x",
      password: "p/w",
      database: "orders",
    });
    expect(pgConfigFromUrl("postgres://postgres@127.0.0.1/x").port).toBe(5432);
  });
});
