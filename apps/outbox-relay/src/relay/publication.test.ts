import fs from "node:fs";
import { OUTBOX_PUBLICATION_SQL } from "@orderflow/db-kit";
import { describe, expect, it } from "vitest";

const apps = new URL("../../../", import.meta.url);

describe("the outbox publication the wal mode reads", () => {
  it.each(["order", "payment", "shipping"])("is created by %s's migrations as the relay's tests create it", (svc) => {
    const dir = new URL(`${svc}/prisma/migrations/`, apps);
    const migration = fs.readdirSync(dir).find((d) => d.endsWith("_outbox_publication"));
    expect(migration, `${svc} has an _outbox_publication migration`).toBeDefined();
    const text = fs.readFileSync(new URL(`${migration}/migration.sql`, dir), "utf8");
    expect(text.replace(/^--.*\n/gm, "").trim()).toBe(OUTBOX_PUBLICATION_SQL.trim());
  });
});
