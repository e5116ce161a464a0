import { describe, expect, it } from "vitest";
import { parseBindings, parseFilter, passesFilter } from "../../src/services/realtime/changes/bindings.js";
import { renderValue } from "../../src/services/realtime/changes/values.js";

const scalar = (name: string) => ({ name, element: null });

describe("change values, rendered as to_jsonb renders them", () => {
  it.each([
    ["int4", "42", 42],
    ["int8", "9007199254740993", "9007199254740993"],
    ["numeric", "12.50", 12.5],
    ["float8", "NaN", "NaN"],
    ["bool", "t", true],
    ["bool", "f", false],
    ["jsonb", '{"a": [1, "ü"]}', { a: [1, "ü"] }],
    ["timestamptz", "2024-05-01 10:00:00.123456+02", "2024-05-01T10:00:00.123456+02:00"],
    ["timestamptz", "2024-05-01 10:00:00+05:30", "2024-05-01T10:00:00+05:30"],
    ["timestamp", "2024-05-01 10:00:00", "2024-05-01T10:00:00"],
    ["text", "Zoë 👋 日本 שלום", "Zoë 👋 日本 שלום"],
    ["uuid", "5b0d3c52-3c1f-4a51-9a3c-6a8b8b0d6d2e", "5b0d3c52-3c1f-4a51-9a3c-6a8b8b0d6d2e"],
  ])("%s %s", (type, text, expected) => {
    expect(renderValue(text, scalar(type))).toEqual(expected);
  });

  it("renders arrays element by element, and NULL as null", () => {
    expect(renderValue("{1,2,NULL}", { name: "_int4", element: "int4" })).toEqual([1, 2, null]);
    expect(renderValue('{vip,"a b","é,ü"}', { name: "_text", element: "text" })).toEqual([
      "vip",
      "a b",
      "é,ü",
    ]);
    expect(renderValue(null, scalar("text"))).toBeNull();
  });
});

describe("postgres_changes filters", () => {
  it.each([
    ["id=eq.5", { column: "id", op: "eq", values: ["5"] }],
    ["status=in.(hot,warm)", { column: "status", op: "in", values: ["hot", "warm"] }],
    ['name=in.("a,b",c)', { column: "name", op: "in", values: ["a,b", "c"] }],
    ["title=eq.Café 👋", { column: "title", op: "eq", values: ["Café 👋"] }],
  ])("parses %s", (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it.each(["id", "id=like.x", "id=in.1,2", `id=in.(${Array.from({ length: 101 }, (_, i) => i).join(",")})`])(
    "refuses %s with a message",
    (text) => {
      expect(typeof parseFilter(text)).toBe("string");
    },
  );

  it.each([
    ["id=eq.5", "5", "int4", true],
    ["id=eq.5", "50", "int4", false],
    ["id=neq.5", "6", "int8", true],
    ["id=gt.5", "10", "int4", true],
    ["id=gt.5", "9", "text", true],
    ["id=lt.10", "9", "int4", true],
    ["amount=gte.10.5", "10.5", "numeric", true],
    ["amount=lte.10.5", "10.6", "numeric", false],
    ["done=eq.true", true, "bool", true],
    ["status=in.(hot,warm)", "warm", "text", true],
    ["status=in.(hot,warm)", "cold", "text", false],
    ["at=gt.2024-01-01T00:00:00Z", "2024-05-01T10:00:00+02:00", "timestamptz", true],
    ["name=eq.Zoë", "Zoë", "text", true],
  ])("%s against %s (%s) is %s", (text, value, type, expected) => {
    const filter = parseFilter(text);
    if (typeof filter === "string") throw new Error(filter);
    expect(passesFilter(filter, value, type)).toBe(expected);
  });

  it("gives identical entries identical positive ids, and refuses a bad event", () => {
    const parsed = parseBindings([
      { event: "*", schema: "public", table: "contacts" },
      { event: "*", schema: "public", table: "contacts" },
      { event: "INSERT", schema: "public" },
    ]);
    if (!parsed.ok) throw new Error(parsed.message);
    const [a, b, c] = parsed.bindings;
    expect(a?.id).toBe(b?.id);
    expect(a?.id).not.toBe(c?.id);
    expect(parsed.bindings.every((binding) => binding.id > 0 && binding.id < 2 ** 27)).toBe(true);
    expect(parseBindings([{ event: "TRUNCATE", schema: "public" }]).ok).toBe(false);
  });
});
