import { describe, expect, it } from "vitest";
import { binOptions } from "./env.js";

describe("orderflow-migrate configuration", () => {
  it("names DATABASE_URL when it is missing or not PostgreSQL", () => {
    expect(() => binOptions({}, "/srv/app")).toThrow(/DATABASE_URL is not set/);
    expect(() => binOptions({ DATABASE_URL: "mysql://x" }, "/srv/app")).toThrow(
      /DATABASE_URL must be a postgresql:\/\/ URL/,
    );
    expect(() => binOptions({ DATABASE_URL: "postgresql://postgres@127.0.0.1:54329" }, "/srv/app")).toThrow(
      /DATABASE_URL names no database/,
    );
    expect(() => binOptions({ DATABASE_URL: "postgresql://[bad" }, "/srv/app")).toThrow(
      /DATABASE_URL is not a valid URL/,
    );
  });
  it("takes the schema and migrations from the service folder", () => {
    expect(binOptions({ DATABASE_URL: "postgresql://h/db" }, "/srv/app")).toMatchObject({
      schemaPath: "/srv/app/prisma/schema.prisma",
      migrationsDir: "/srv/app/prisma/migrations",
    });
  });
});
