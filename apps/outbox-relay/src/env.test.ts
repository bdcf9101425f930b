import { describe, expect, it } from "vitest";
import { loadEnv } from "./env.js";

describe("relay configuration", () => {
  it("defaults to the three service databases of the local stack", () => {
    expect(loadEnv({}).RELAY_DATABASES.map((d) => d.name)).toEqual(["order", "payment", "shipping"]);
  });
  it("names RELAY_DATABASES and the bad entry, hiding its password", () => {
    expect(() => loadEnv({ RELAY_DATABASES: "order=postgresql://u:secret@h/db,payment" })).toThrow(
      /RELAY_DATABASES: "payment" is not name=postgresql/,
    );
    expect(() => loadEnv({ RELAY_DATABASES: "x=mysql://u:secret@h/db" })).toThrow(
      /RELAY_DATABASES: "x=mysql:\/\/u:\*\*\*@h\/db"/,
    );
    expect(() => loadEnv({ RELAY_DATABASES: "a=postgresql://h/1,a=postgresql://h/2" })).toThrow(/names must be unique/);
  });
  it("reads the WAL unless RELAY_MODE says poll, and names RELAY_MODE when it is neither", () => {
    expect(loadEnv({}).RELAY_MODE).toBe("wal");
    expect(loadEnv({}).RELAY_SLOT_PREFIX).toBe("orderflow_relay");
    expect(loadEnv({ RELAY_MODE: "poll" }).RELAY_MODE).toBe("poll");
    expect(() => loadEnv({ RELAY_MODE: "cdc" })).toThrow(/RELAY_MODE/);
    expect(() => loadEnv({ RELAY_SLOT_PREFIX: "Bad-Name" })).toThrow(/RELAY_SLOT_PREFIX/);
  });
  it("accepts only the known failpoint", () => {
    expect(() => loadEnv({ RELAY_FAILPOINT: "explode" })).toThrow(/RELAY_FAILPOINT/);
  });
});
