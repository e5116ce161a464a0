import { expect } from "vitest";
import type { Case } from "./case.js";

/** functions under /rpc (reference §8, §11, §14). */
export const RPC_CASES: readonly Case[] = [
  // rpc
  {
    name: "scalar rpc by GET",
    path: "/rpc/film_count",
    status: 200,
    json: 4,
    sql: [`SELECT "public"."film_count"() AS pgrst_scalar`],
  },
  {
    name: "setof rpc with filters, order and select",
    path: "/rpc/films_after?y=1970&select=title&order=year.desc",
    status: 200,
    json: [{ title: "Vagabond" }, { title: "Sans Soleil" }],
    sql: [
      `jsonb_to_record($1::jsonb) AS pgrst_args("y" integer), LATERAL "public"."films_after"("y" := pgrst_args."y") AS "pgrst_call"`,
    ],
  },
  {
    name: "rpc embeds from the returned table",
    path: "/rpc/films_after?y=1984&select=title,directors(name)",
    status: 200,
    json: [{ title: "Vagabond", directors: { name: "Agnes Varda" } }],
  },
  {
    name: "overloads resolved by argument type are ambiguous",
    method: "POST",
    path: "/rpc/pick",
    body: `{"a":1}`,
    status: 300,
    check: (r) =>
      expect(r.json).toMatchObject({
        code: "PGRST203",
        message:
          "Could not choose the best candidate function between: public.pick(a => integer), public.pick(a => text)",
      }),
  },
  {
    name: "defaulted parameter may be left out",
    method: "POST",
    path: "/rpc/add_default",
    body: `{"a":1}`,
    status: 200,
    json: 11,
  },
  {
    name: "variadic by repeated GET parameter",
    path: "/rpc/total?xs=1&xs=2&xs=3",
    status: 200,
    json: 6,
    sql: [`VARIADIC "xs" := pgrst_args."xs"`],
  },
  {
    name: "variadic by JSON array",
    method: "POST",
    path: "/rpc/total",
    body: `{"xs":[4,5]}`,
    status: 200,
    json: 9,
  },
  {
    name: "single unnamed jsonb parameter takes the body",
    method: "POST",
    path: "/rpc/echo_json",
    body: `{"any":["thing"]}`,
    status: 200,
    json: { any: ["thing"] },
  },
  {
    name: "text/plain to a single text parameter",
    method: "POST",
    path: "/rpc/echo_text",
    headers: { "content-type": "text/plain" },
    body: "shout",
    status: 200,
    json: "SHOUT",
  },
  {
    name: "returns table",
    path: "/rpc/pairs?n=3&k=gte.2",
    status: 200,
    json: [
      { k: 2, v: "v2" },
      { k: 3, v: "v3" },
    ],
  },
  { name: "setof scalar", path: "/rpc/numbers", status: 200, json: [1, 2, 3] },
  {
    name: "void is 204",
    method: "POST",
    path: "/rpc/nothing",
    status: 204,
    check: (r) => expect(r.text).toBe(""),
  },
  {
    name: "unknown function with a hint",
    path: "/rpc/film_cont",
    status: 404,
    check: (r) =>
      expect(r.json).toMatchObject({
        code: "PGRST202",
        hint: "Perhaps you meant to call the function public.film_count",
      }),
  },
  {
    name: "unsupported method on rpc",
    method: "DELETE",
    path: "/rpc/film_count",
    status: 405,
    json: { code: "PGRST101", message: "Cannot use the DELETE method on RPC", details: null, hint: null },
  },
  {
    name: "response.headers and response.status GUCs",
    path: "/rpc/set_headers",
    status: 202,
    json: 1,
    responseHeaders: { "cache-control": "public, max-age=60" },
  },
  {
    name: "invalid response.headers is PGRST111",
    path: "/rpc/bad_headers",
    status: 500,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST111" }),
  },
  {
    name: "RAISE SQLSTATE 'PGRST' controls the response",
    path: "/rpc/teapot",
    status: 418,
    json: { code: "TEA01", message: "I am a teapot", details: null, hint: "brew" },
    responseHeaders: { "x-brew": "green" },
  },
  {
    name: "PTxyz sets the status",
    path: "/rpc/pt_error",
    status: 402,
    check: (r) => expect(r.json).toMatchObject({ code: "PT402", message: "pay up" }),
  },
  {
    name: "plain RAISE is 400 P0001",
    path: "/rpc/plain_raise",
    status: 400,
    json: { code: "P0001", message: "plain failure", details: null, hint: null },
  },
  {
    name: "POST to a STABLE function runs read-only: a write in it is 25006 -> 405",
    method: "POST",
    path: "/rpc/stable_writer",
    body: "{}",
    status: 405,
    check: (r) => expect(r.json).toMatchObject({ code: "25006" }),
  },
  {
    name: "POST to a STABLE function that only reads",
    method: "POST",
    path: "/rpc/film_count",
    body: "{}",
    status: 200,
    json: 4,
  },
  {
    name: "estimated count is exact under max-rows",
    path: "/rpc/films_after?y=1900&select=id&limit=1",
    headers: { prefer: "count=estimated" },
    status: 206,
    responseHeaders: { "content-range": "0-0/4" },
  },
];
