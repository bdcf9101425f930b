import { describe, expect, it } from "vitest";
import { empty, joinSql, raw, sql } from "./statement.js";

describe("sql", () => {
  it("makes each interpolated value a placeholder, in order", () => {
    const s = sql`SELECT * FROM t WHERE a = ${1} AND b = ANY(${["x", "y"]}::text[])`;
    expect(s.text).toBe("SELECT * FROM t WHERE a = $1 AND b = ANY($2::text[])");
    expect(s.values).toEqual([1, ["x", "y"]]);
  });

  it("numbers a nested part's placeholders where it lands, so the part need not know what comes before it", () => {
    const read = sql`SELECT * FROM payments WHERE order_id = ANY(${["o1"]}::uuid[])`;
    const s = sql`WITH fresh AS (INSERT INTO inbox SELECT ${"grp"}, unnest(${["e1"]}::uuid[])), state AS (${read}) SELECT ${true}`;
    expect(s.text).toBe(
      "WITH fresh AS (INSERT INTO inbox SELECT $1, unnest($2::uuid[])), state AS (SELECT * FROM payments WHERE order_id = ANY($3::uuid[])) SELECT $4",
    );
    expect(s.values).toEqual(["grp", ["e1"], ["o1"], true]);
    // the part itself is unchanged and numbers from $1 on its own
    expect(read.text).toBe("SELECT * FROM payments WHERE order_id = ANY($1::uuid[])");
  });

  it("nests parts within parts, several levels deep", () => {
    const inner = sql`(${"a"}, ${"b"})`;
    const middle = sql`VALUES ${inner}, ${sql`(${"c"}, ${"d"})`}`;
    const s = sql`SELECT ${0}; ${middle} WHERE ${sql`x = ${"e"}`}`;
    expect(s.text).toBe("SELECT $1; VALUES ($2, $3), ($4, $5) WHERE x = $6");
    expect(s.values).toEqual([0, "a", "b", "c", "d", "e"]);
  });

  it("repeats a value as two placeholders when it is interpolated twice", () => {
    const s = sql`SELECT ${"g"} WHERE group = ${"g"}`;
    expect(s.text).toBe("SELECT $1 WHERE group = $2");
    expect(s.values).toEqual(["g", "g"]);
  });

  it("takes raw text and empty as text, never as parameters", () => {
    const s = sql`LISTEN ${raw("orderflow_outbox")}${empty}; SELECT ${1}`;
    expect(s.text).toBe("LISTEN orderflow_outbox; SELECT $1");
    expect(s.values).toEqual([1]);
  });
});

describe("joinSql", () => {
  it("joins parts with their placeholders renumbered across them", () => {
    const parts = [sql`a AS (SELECT ${1})`, sql`b AS (SELECT ${2}, ${3})`, sql`c AS (SELECT 4)`];
    const s = sql`WITH ${joinSql(parts)} SELECT ${5}`;
    expect(s.text).toBe("WITH a AS (SELECT $1), b AS (SELECT $2, $3), c AS (SELECT 4) SELECT $4");
    expect(s.values).toEqual([1, 2, 3, 5]);
  });

  it("takes a separator, and is empty for no parts", () => {
    expect(sql`WHERE ${joinSql([sql`a = ${1}`, sql`b = ${2}`], " AND ")}`.text).toBe("WHERE a = $1 AND b = $2");
    const none = joinSql([]);
    expect(sql`SELECT 1${none}`.text).toBe("SELECT 1");
    expect(none.values).toEqual([]);
  });
});
