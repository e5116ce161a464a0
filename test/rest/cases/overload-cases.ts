import { expect } from "vitest";
import type { Case } from "./case.js";

const JSON_POST = { method: "POST" } as const;

/** RPC overloads, unnamed parameters, PGRST202/203 and counts on functions (PostgREST v14). */
export const OVERLOAD_CASES: readonly Case[] = [
  {
    name: "no arguments call the overload without parameters",
    ...JSON_POST,
    path: "/rpc/poly",
    body: "{}",
    status: 200,
    json: 1,
  },
  {
    name: 'the key "" names the unnamed parameter, which takes the whole body positionally',
    ...JSON_POST,
    path: "/rpc/poly",
    body: `{"":"ça"}`,
    status: 200,
    json: `texte: {"":"ça"}`,
    sql: [`"public"."poly"($1::text)`],
  },
  {
    name: "a text body goes to the unnamed text overload",
    ...JSON_POST,
    path: "/rpc/poly",
    headers: { "content-type": "text/plain" },
    body: "héllo 🌍",
    status: 200,
    json: "texte: héllo 🌍",
  },
  {
    name: "overloads that all fit are PGRST203, in PostgREST's order (unnamed int is not callable)",
    ...JSON_POST,
    path: "/rpc/poly_default",
    body: "{}",
    status: 300,
    json: {
      code: "PGRST203",
      message:
        "Could not choose the best candidate function between: public.poly_default(), public.poly_default( => text)",
      details: null,
      hint: "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    },
  },
  {
    name: "PGRST203 by GET too",
    path: "/rpc/poly_default",
    status: 300,
    check: (r) => expect((r.json as { code: string }).code).toBe("PGRST203"),
  },
  {
    name: "named overloads are told apart by their parameter names",
    ...JSON_POST,
    path: "/rpc/over",
    body: `{"b":7}`,
    status: 200,
    json: "b",
  },
  {
    name: "the overload without parameters is void",
    ...JSON_POST,
    path: "/rpc/over",
    body: "{}",
    status: 204,
  },
  {
    name: "PGRST202 suggests a close function name",
    path: "/rpc/get_statu",
    status: 404,
    json: {
      code: "PGRST202",
      message: "Could not find the function public.get_statu without parameters in the schema cache",
      details:
        "Searched for the function public.get_statu without parameters, but no matches were found in the schema cache.",
      hint: "Perhaps you meant to call the function public.get_status",
    },
  },
  {
    name: "PGRST202 suggests the closest parameter list of the overloads",
    path: "/rpc/get_status?name_parm=x",
    status: 404,
    json: {
      code: "PGRST202",
      message: "Could not find the function public.get_status(name_parm) in the schema cache",
      details:
        "Searched for the function public.get_status with parameter name_parm, but no matches were found in the schema cache.",
      hint: "Perhaps you meant to call the function public.get_status(name_param)",
    },
  },
  {
    name: "PGRST202 without a hint when nothing is close",
    path: "/rpc/zzqqxx",
    status: 404,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST202", hint: null }),
  },
  {
    name: "PGRST202 never suggests the same function",
    path: "/rpc/over?zz=1",
    status: 404,
    check: (r) => expect(r.json).toMatchObject({ code: "PGRST202", hint: null }),
  },
  {
    name: "exact count on a scalar function by GET",
    path: "/rpc/get_status?name_param=zoë",
    headers: { prefer: "count=exact" },
    status: 200,
    json: "ONLINE",
    responseHeaders: { "content-range": "0-0/1" },
  },
  {
    name: "exact count on a scalar function by POST",
    ...JSON_POST,
    path: "/rpc/get_status",
    headers: { prefer: "count=exact" },
    body: `{"name_param":"山田"}`,
    status: 200,
    json: "OFFLINE",
    responseHeaders: { "content-range": "0-0/1" },
  },
  {
    name: "exact count on a scalar function by HEAD",
    method: "HEAD",
    path: "/rpc/get_status?name_param=zoë",
    headers: { prefer: "count=exact" },
    status: 200,
    responseHeaders: { "content-range": "0-0/1" },
  },
  {
    name: "exact count on a single-row composite function",
    path: "/rpc/get_row?name_param=zoë&select=username",
    headers: { prefer: "count=exact" },
    status: 200,
    json: { username: "zoë" },
    responseHeaders: { "content-range": "0-0/1" },
  },
];
