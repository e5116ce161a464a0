import { expect } from "vitest";
import { type Case, F, ids } from "./case.js";

/** ordering, paging, counts, media types and routing (reference §1, §5, §7). */
export const SHAPING_CASES: readonly Case[] = [
  // ordering, paging, counts
  {
    name: "order with nulls",
    path: "/films?select=id&order=rating.desc.nullslast",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([2, 1, 4, 3]),
    sql: [`ORDER BY ${F}."rating" DESC NULLS LAST`],
  },
  {
    name: "order by JSON path",
    path: "/films?select=id&order=meta->awards->>count.asc.nullsfirst,id",
    status: 200,
    check: (r) => expect(ids(r)).toEqual([3, 4, 2, 1]),
  },
  {
    name: "limit and offset",
    path: "/films?select=id&order=id&limit=2&offset=1",
    status: 200,
    json: [{ id: 2 }, { id: 3 }],
    responseHeaders: { "content-range": "1-2/*" },
  },
  {
    name: "exact count gives 206 on a partial page",
    path: "/films?select=id&order=id&limit=2",
    headers: { prefer: "count=exact" },
    status: 206,
    responseHeaders: { "content-range": "0-1/4", "preference-applied": "count=exact" },
    sql: ["pgrst_source_count AS (SELECT 1 FROM"],
  },
  {
    name: "exact count with the whole set is 200",
    path: "/films?select=id",
    headers: { prefer: "count=exact" },
    status: 200,
    responseHeaders: { "content-range": "0-3/4" },
  },
  {
    name: "offset past the total is 416",
    path: "/films?offset=10",
    headers: { prefer: "count=exact" },
    status: 416,
    json: {
      code: "PGRST103",
      message: "Requested range not satisfiable",
      details: "An offset of 10 was requested, but there are only 4 rows.",
      hint: null,
    },
  },
  {
    name: "planned count",
    path: "/films?select=id&limit=1",
    headers: { prefer: "count=planned" },
    status: 206,
    check: (r) => expect(r.headers.get("content-range")).toMatch(/^0-0\/\d+$/),
  },
  {
    name: "Range header",
    path: "/films?select=id&order=id",
    headers: { range: "1-2" },
    status: 200,
    json: [{ id: 2 }, { id: 3 }],
    responseHeaders: { "content-range": "1-2/*" },
  },
  {
    name: "Range with lower > upper is 416",
    path: "/films",
    headers: { range: "3-1" },
    status: 416,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST103" }),
  },
  {
    name: "negative limit is 416",
    path: "/films?limit=-1",
    status: 416,
    check: (r) => expect(r.json).toMatchObject({ details: "Limit should be greater than or equal to zero." }),
  },
  {
    name: "empty page with limit=0",
    path: "/films?limit=0",
    status: 200,
    json: [],
    responseHeaders: { "content-range": "*/*" },
  },
  // media types
  {
    name: "single object",
    path: "/films?select=id&id=eq.1",
    headers: { accept: "application/vnd.pgrst.object+json" },
    status: 200,
    json: { id: 1 },
    responseHeaders: { "content-type": "application/vnd.pgrst.object+json; charset=utf-8" },
  },
  {
    name: "single object with many rows is 406",
    path: "/films?select=id",
    headers: { accept: "application/vnd.pgrst.object+json" },
    status: 406,
    json: {
      code: "PGRST116",
      message: "Cannot coerce the result to a single JSON object",
      details: "The result contains 4 rows",
      hint: null,
    },
  },
  {
    name: "nulls=stripped",
    path: "/films?select=id,rating&id=eq.3",
    headers: { accept: "application/vnd.pgrst.array+json;nulls=stripped" },
    status: 200,
    json: [{ id: 3 }],
  },
  {
    name: "csv",
    path: "/directors?select=id,name&order=id&limit=2",
    headers: { accept: "text/csv" },
    status: 200,
    check: (r) => expect(r.text).toBe('id,name\n1,"Agnes Varda"\n2,"Chris Marker"'),
  },
  {
    name: "unsupported Accept is 406",
    path: "/films",
    headers: { accept: "text/html" },
    status: 406,
    json: {
      code: "PGRST107",
      message: "None of these media types are available: text/html",
      details: null,
      hint: null,
    },
  },
  {
    name: "the plan media type without db-plan-enabled is PGRST107",
    path: "/films",
    headers: { accept: "application/vnd.pgrst.plan+json" },
    status: 406,
    json: {
      code: "PGRST107",
      message:
        'None of these media types are available: application/vnd.pgrst.plan+json; for="application/json"',
      details: null,
      hint: null,
    },
  },
  // routing
  {
    name: "unknown table with a close name",
    path: "/film",
    status: 404,
    json: {
      code: "PGRST205",
      message: "Could not find the table 'public.film' in the schema cache",
      details: null,
      hint: "Perhaps you meant the table 'public.films'",
    },
  },
  {
    // PostgREST's fuzzy match scores a transposition as two edits: 0.6, under its 0.75.
    name: "unknown table with nothing close enough has no hint",
    path: "/flims",
    status: 404,
    json: {
      code: "PGRST205",
      message: "Could not find the table 'public.flims' in the schema cache",
      details: null,
      hint: null,
    },
  },
  {
    name: "deeper path",
    path: "/films/1",
    status: 404,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST125" }),
  },
  {
    name: "HEAD has headers and no body",
    method: "HEAD",
    path: "/films?select=id",
    headers: { prefer: "count=exact" },
    status: 200,
    check: (r) => expect(r.text).toBe(""),
    responseHeaders: { "content-range": "0-3/4" },
  },
];
