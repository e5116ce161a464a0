import { describe, expect, it } from "vitest";
import { httpStatusFor } from "../../src/services/rest/errors.js";
import { negotiate } from "../../src/services/rest/media-types.js";
import { parseLogicTree } from "../../src/services/rest/parse/logic.js";
import { parseOrder } from "../../src/services/rest/parse/order.js";
import { parseQueryString } from "../../src/services/rest/parse/query-string.js";
import { parseSelect } from "../../src/services/rest/parse/select.js";
import { parsePreferences } from "../../src/services/rest/preferences.js";

describe("SQLSTATE -> HTTP status (PostgREST's table)", () => {
  const cases: [string, string, boolean, number][] = [
    ["08006", "connection failure", true, 503],
    ["09000", "triggered action", true, 500],
    ["0L000", "invalid grantor", true, 403],
    ["0P000", "invalid role", true, 403],
    ["21000", "UPDATE requires a WHERE clause", true, 400],
    ["21000", "more than one row returned by a subquery used as an expression", true, 500],
    ["22023", 'role "x" does not exist', true, 401],
    ["22023", "invalid parameter", true, 400],
    ["23503", "fk", true, 409],
    ["23505", "unique", true, 409],
    ["25006", "read-only transaction", true, 405],
    ["25001", "active transaction", true, 500],
    ["28000", "auth", true, 403],
    ["2D000", "tx termination", true, 500],
    ["38000", "external routine", true, 500],
    ["39000", "external routine invocation", true, 500],
    ["3B000", "savepoint", true, 500],
    ["40001", "serialization", true, 500],
    ["42501", "permission denied", true, 403],
    ["42501", "permission denied", false, 401],
    ["42883", "function foo() does not exist", true, 404],
    ["42883", "function xmlagg(integer) does not exist", true, 406],
    ["42P01", "relation does not exist", true, 404],
    ["42P17", "infinite recursion", true, 500],
    ["53400", "config limit", true, 500],
    ["53100", "disk full", true, 503],
    ["54000", "too complex", true, 500],
    ["55000", "prerequisite", true, 500],
    ["57P01", "admin shutdown", true, 503],
    ["57014", "statement timeout", true, 500],
    ["58000", "system error", true, 500],
    ["F0000", "config file", true, 500],
    ["HV000", "fdw", true, 500],
    ["P0001", "raise", true, 400],
    ["P0002", "no data found", true, 500],
    ["XX000", "internal", true, 500],
    ["PT404", "custom", true, 404],
    ["22P02", "invalid input syntax", true, 400],
    ["23502", "not null", true, 400],
    ["23514", "check", true, 400],
    ["42703", "undefined column", true, 400],
  ];
  for (const [code, message, authenticated, status] of cases) {
    it(`${code} ${authenticated ? "" : "(anon) "}${message} -> ${status}`, () => {
      expect(httpStatusFor({ code, message }, authenticated)).toBe(status);
    });
  }
});

describe("parsers", () => {
  it("select: aliases, casts, JSON paths, embeds, spreads, aggregates", () => {
    expect(parseSelect("a:b::text,c->d->>0,x:rel!fk!inner(id,...inner_rel(*)),count(),n.sum()::int")).toEqual(
      [
        {
          kind: "field",
          field: { name: "b", json: [] },
          alias: "a",
          cast: "text",
          aggregate: null,
          aggregateCast: null,
        },
        {
          kind: "field",
          field: {
            name: "c",
            json: [
              { arrow: "->", key: "d" },
              { arrow: "->>", key: 0 },
            ],
          },
          alias: null,
          cast: null,
          aggregate: null,
          aggregateCast: null,
        },
        {
          kind: "embed",
          relation: "rel",
          alias: "x",
          hint: "fk",
          join: "inner",
          spread: false,
          select: [
            {
              kind: "field",
              field: { name: "id", json: [] },
              alias: null,
              cast: null,
              aggregate: null,
              aggregateCast: null,
            },
            {
              kind: "embed",
              relation: "inner_rel",
              alias: null,
              hint: null,
              join: null,
              spread: true,
              select: [{ kind: "star" }],
            },
          ],
        },
        { kind: "count", alias: null, cast: null },
        {
          kind: "field",
          field: { name: "n", json: [] },
          alias: null,
          cast: null,
          aggregate: "sum",
          aggregateCast: "int",
        },
      ],
    );
  });

  it("select: quoted names and names with dashes and spaces", () => {
    expect(parseSelect('"a,b",first-name, last name ')).toMatchObject([
      { field: { name: "a,b" } },
      { field: { name: "first-name" } },
      { field: { name: "last name" } },
    ]);
  });

  it("select errors carry the column", () => {
    expect(() => parseSelect("id,clients(name[])")).toThrowError(
      /failed to parse select parameter \(id,clients\(name\[\]\)\)" \(line 1, column 16\)/,
    );
  });

  it("filters: operators, quantifiers, lists, negation", () => {
    const q = parseQueryString(
      "a=not.in.(1,%222,3%22,x)&b=ilike(all).{*x*,y*}&c=fts(english).cat&d=is.NULL&rel.e=gte.5&c->>k=eq.v",
      { rpc: false },
    );
    const root = q.levels.get("");
    expect(root?.filters.map((f) => f.expr)).toEqual([
      { negated: true, operation: { kind: "in", values: ["1", "2,3", "x"] } },
      {
        negated: false,
        operation: { kind: "simple", operator: "ilike", quantifier: "all", value: "{*x*,y*}" },
      },
      { negated: false, operation: { kind: "fts", operator: "fts", config: "english", value: "cat" } },
      { negated: false, operation: { kind: "is", value: "null" } },
      { negated: false, operation: { kind: "simple", operator: "eq", quantifier: null, value: "v" } },
    ]);
    expect(q.levels.get("rel")?.filters[0]?.field).toEqual({ name: "e", json: [] });
  });

  it("logic trees and order", () => {
    expect(parseLogicTree("or", true, "(a.eq.1,and(b.gt.2,c.is.null))")).toMatchObject({
      kind: "expr",
      negated: true,
      operator: "or",
      children: [
        { kind: "filter" },
        { kind: "expr", operator: "and", children: [{ kind: "filter" }, { kind: "filter" }] },
      ],
    });
    expect(parseOrder("a.desc.nullslast,rel(b),c->>d.asc")).toEqual([
      { relation: null, field: { name: "a", json: [] }, direction: "desc", nulls: "last" },
      { relation: "rel", field: { name: "b", json: [] }, direction: null, nulls: null },
      {
        relation: null,
        field: { name: "c", json: [{ arrow: "->>", key: "d" }] },
        direction: "asc",
        nulls: null,
      },
    ]);
  });

  it("RPC GET: non-operator parameters are arguments", () => {
    const q = parseQueryString("x=1&x=2&name=bob&id=gt.3&select=id", { rpc: true });
    expect(q.rpcArgs).toEqual([
      ["x", "1"],
      ["x", "2"],
      ["name", "bob"],
    ]);
    expect(q.levels.get("")?.filters).toHaveLength(1);
  });
});

describe("preferences and media types", () => {
  const options = { timezones: new Set(["UTC"]), txOverride: false };
  it("first occurrence wins; tx is invalid without override", () => {
    const prefs = parsePreferences(
      ["return=minimal, return=representation", "count=exact,tx=rollback"],
      options,
    );
    expect(prefs.return).toBe("minimal");
    expect(prefs.count).toBe("exact");
    expect(prefs.tx).toBeNull();
    expect(prefs.invalid).toEqual(["tx=rollback"]);
  });
  it("negotiates by q then order", () => {
    expect(negotiate("text/html;q=0.9, text/csv").type).toBe("csv");
    expect(negotiate("application/vnd.pgrst.object+json;nulls=stripped").stripNulls).toBe(true);
    expect(() => negotiate("image/png")).toThrowError(/None of these media types are available: image\/png/);
  });
});
