import { expect } from "vitest";
import { type Case, F, ids } from "./case.js";

/** filters, logic trees and parse errors (reference §2, §4). */
export const FILTER_CASES: readonly Case[] = [
  // filters
  {
    name: "neq",
    path: "/films?select=id&year=neq.1962&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([3, 4]),
    sql: [`${F}."year" <> $1`],
  },
  { name: "gt/lte", path: "/films?select=id&year=gt.1962&year=lte.1983", status: 200, json: [{ id: 3 }] },
  {
    name: "like with *",
    path: "/films?select=id&title=like.*Jet*",
    status: 200,
    json: [{ id: 2 }],
    sql: [`${F}."title" LIKE $1`],
  },
  {
    name: "ilike(any)",
    path: "/films?select=id&title=ilike(any).{*soleil*,*vagabond*}&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([3, 4]),
    sql: [`ILIKE ANY($1)`],
  },
  {
    name: "eq(any)",
    path: "/films?select=id&id=eq(any).{1,3}&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 3]),
  },
  {
    name: "match / imatch",
    path: "/films?select=id&title=imatch.^la",
    status: 200,
    json: [{ id: 2 }],
    sql: ["~* $1"],
  },
  {
    name: "in with quoted items",
    path: `/films?select=id&title=in.("La Jetee","Cleo from 5 to 7")&order=id`,
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 2]),
    sql: [`${F}."title" = ANY($1)`],
  },
  { name: "in.() matches nothing", path: "/films?select=id&id=in.()", status: 200, json: [] },
  {
    name: "is.null / not.is.null",
    path: "/films?select=id&rating=is.null",
    status: 200,
    json: [{ id: 3 }],
    sql: [`${F}."rating" IS NULL`],
  },
  {
    name: "is.not_null",
    path: "/films?select=id&meta=is.not_null&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 2, 3]),
  },
  {
    name: "isdistinct",
    path: "/films?select=id&rating=isdistinct.8.1&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([2, 3, 4]),
  },
  {
    name: "cs on arrays",
    path: "/films?select=id&tags=cs.{drama}&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 4]),
    sql: [`${F}."tags" @> $1`],
  },
  {
    name: "cd on arrays",
    path: "/films?select=id&tags=cd.{drama,paris,x}&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 4]),
  },
  {
    name: "ov on arrays",
    path: "/films?select=id&tags=ov.{japan,scifi}&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([2, 3]),
  },
  {
    name: "cs on jsonb",
    path: `/films?select=id&meta=cs.{"awards":{"count":1}}`,
    status: 200,
    json: [{ id: 2 }],
  },
  {
    name: "range operators sl / sr / adj / nxl / nxr",
    path: "/films?select=id&during=sl.[1970,1990)&during=adj.[1963,1970)",
    status: 200,
    json: [{ id: 1 }],
    sql: ["<< $1", "-|- $2"],
  },
  {
    name: "nxr / nxl",
    path: "/films?select=id&during=nxr.[1961,1963)&during=nxl.[1961,1970)",
    status: 200,
    json: [{ id: 1 }],
  },
  {
    name: "fts on tsvector",
    path: "/films?select=id&doc=fts.travel%26japan",
    status: 200,
    json: [{ id: 3 }],
    sql: [`${F}."doc" @@ to_tsquery($1)`],
  },
  {
    name: "plfts with config",
    path: "/films?select=id&doc=plfts(english).time%20travel",
    status: 200,
    json: [{ id: 2 }],
    sql: ["plainto_tsquery($1::regconfig, $2)"],
  },
  {
    name: "phfts / wfts on a text column",
    path: "/films?select=id&title=wfts(english).vagabond",
    status: 200,
    json: [{ id: 4 }],
    sql: ["to_tsvector($1::regconfig, "],
  },
  {
    name: "not. prefix",
    path: "/films?select=id&id=not.in.(1,2,3)",
    status: 200,
    json: [{ id: 4 }],
    sql: [`NOT (${F}."id" = ANY($1))`],
  },
  {
    name: "JSON path filter",
    path: "/films?select=id&meta->awards->>count=eq.2",
    status: 200,
    json: [{ id: 1 }],
  },
  {
    name: "or tree",
    path: "/films?select=id&or=(id.eq.1,title.eq.Vagabond)&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 4]),
    sql: [`(${F}."id" = $1 OR ${F}."title" = $2)`],
  },
  {
    name: "nested and/or with not",
    path: "/films?select=id&or=(year.gt.1984,and(year.eq.1962,title.not.eq.La%20Jetee))&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 4]),
  },
  {
    name: "not.or",
    path: "/films?select=id&not.or=(id.eq.1,id.eq.2)&order=id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([3, 4]),
  },
  {
    name: "or inside an embed",
    path: "/directors?select=id,films(id)&films.or=(id.eq.1,id.eq.3)&order=id&id=lt.3",
    status: 200,
    json: [
      { id: 1, films: [{ id: 1 }] },
      { id: 2, films: [{ id: 3 }] },
    ],
  },
  {
    name: "quoted values in a logic tree",
    path: `/films?select=id&or=(title.eq."Cleo from 5 to 7",tags.cs.{scifi})&order=id`,
    status: 200,
    check: (r) => expect(ids(r)).toEqual([1, 2]),
  },
  // parse errors
  {
    name: "unknown operator",
    path: "/films?id=noop.1",
    status: 400,
    json: {
      code: "PGRST100",
      message: '"failed to parse filter (noop.1)" (line 1, column 1)',
      details: "unknown single value operator noop",
      hint: null,
    },
  },
  {
    name: "malformed select",
    path: "/films?select=id,,title",
    status: 400,
    check: (r) =>
      expect(r.json).toMatchObject({
        code: "PGRST100",
        message: expect.stringContaining("failed to parse select parameter (id,,title)"),
      }),
  },
  {
    name: "malformed logic tree",
    path: "/films?or=(id.eq.1",
    status: 400,
    check: (r) =>
      expect(r.json).toMatchObject({
        code: "PGRST100",
        message: expect.stringContaining("failed to parse logic tree"),
      }),
  },
  {
    name: "malformed order",
    path: "/films?order=id.sideways",
    status: 400,
    check: (r) =>
      expect(r.json).toMatchObject({ code: "PGRST100", details: expect.stringContaining('"asc", "desc"') }),
  },
  {
    name: "bad is value",
    path: "/films?id=is.maybe",
    status: 400,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST100" }),
  },
];
