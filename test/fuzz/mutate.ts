import type { Random } from "./random.js";
import { oddTokens, opaqueKeys } from "./tokens.js";
import type { FuzzRequest, Mutation } from "./types.js";

/**
 * Values that broke servers before: NUL and control characters, numbers past every integer
 * type, lone surrogates, right-to-left marks, text in several scripts, SQL and path fragments.
 */
export const NASTY_STRINGS: readonly string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0007\u001b[31m",
  "\t\n\r",
  "99999999999999999999999999",
  "-99999999999999999999999999",
  "2147483648",
  "-9223372036854775809",
  "1e309",
  "-0",
  "0x10",
  "NaN",
  "Infinity",
  "null",
  "true",
  "[]",
  "{}",
  "'",
  '"',
  "\\",
  "%",
  "%00",
  "%zz",
  "%C3%28",
  "../../etc/passwd",
  "é",
  "Åland, Curaçao",
  "👋🏽",
  "日本語のテキスト",
  "مرحبا بالعالم",
  "\u202eevil",
  "\ud800",
  "\ufeff",
  "x".repeat(10_000),
  "*",
  "eq.",
  "not.",
  "()",
  "'; drop table x; --",
  "$1",
  "2024-13-45T25:61:61Z",
  "00000000-0000-0000-0000-000000000000",
  "not-a-uuid",
];

/** JSON values of every type, including ones no field expects. */
const NASTY_JSON: readonly unknown[] = [
  ...NASTY_STRINGS,
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  [null],
  {},
  { "\u0000": "\u0000" },
  [[[[[[[[[[[[]]]]]]]]]]]],
];

/** Raw body texts that are not the JSON a route expects. */
const NASTY_BODIES: readonly string[] = [
  "",
  "{",
  "[",
  "null",
  "1e309",
  '"\\u0000"',
  '{"a":"\\ud800"}',
  "not json",
  "a=1&b=2",
  "\u0000",
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
  `{"k":${"9".repeat(400)}}`,
];

/** Content-Type values that do not parse, or name types nobody accepts. */
export const NASTY_CONTENT_TYPES: readonly string[] = [
  "garbage",
  "",
  "a/b/c",
  ";",
  "application/json, text/csv",
  "application/json; charset=latin1",
  "application/json; charset=\u0000",
  "text/csv",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=",
  "application/vnd.pgrst.object+json",
  "*/*",
  "application/json;;;",
  "ÿ/ÿ",
];

/** Header names and values that clients send, with broken values. */
const HEADER_VALUES: Readonly<Record<string, readonly string[]>> = {
  accept: [
    "garbage",
    "",
    "a/b/c",
    "text/csv",
    "application/vnd.pgrst.object+json",
    "*/*;q=x",
    "application/openapi+json",
  ],
  prefer: [
    "garbage",
    "return=nothing",
    "count=exact",
    "resolution=x",
    "tx=rollback",
    "params=single-object",
    "missing=default",
    "handling=strict",
    "max-affected=-1",
    "return=representation, count=planned",
  ],
  range: ["garbage", "0-", "5-1", "-1", "99999999999999999999999999-", "items=0-1"],
  "range-unit": ["items", "bytes", ""],
  authorization: [
    "",
    "Bearer",
    "Bearer ",
    "Bearer x.y.z",
    "Basic dXNlcjpwYXNz",
    "Bearer \u00ff\u00fe",
    "Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.",
  ],
  apikey: ["", "garbage", "sb_publishable_x", "sb_secret_x", "\u00ff"],
  "accept-profile": ["public", "nope", "", "\u00e9"],
  "content-profile": ["public", "nope", ""],
  "x-client-info": ["supabase-js/2.0.0", "\u00ff\u00fe"],
  "x-forwarded-for": ["garbage", "::1, 10.0.0.1", ""],
  "x-request-id": ["", "\u00e9", "x".repeat(500)],
  origin: ["null", "http://evil.example", ""],
  "access-control-request-method": ["GET", "garbage"],
  "accept-encoding": ["gzip", "br", "garbage"],
};

function mutateText(random: Random, text: string): string {
  const chars = [...text];
  const edits = 1 + random.int(4);
  const alphabet = [..."abz_.,:!()*{}[]\"\\-><=&%+ 09'$;/#?\u0000é👋"];
  for (let i = 0; i < edits; i += 1) {
    const at = random.int(chars.length + 1);
    const kind = random.next();
    if (kind < 0.4) chars.splice(at, 0, random.pick(alphabet));
    else if (kind < 0.7) chars.splice(at, 1);
    else chars[at] = random.pick(alphabet);
  }
  return chars.join("");
}

/** Percent-encodes what would break the request line (spaces, controls, non-ASCII), keeping `%` as it is. */
export function forRequestLine(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (c) =>
    [...Buffer.from(c, "utf8")]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
      .join(""),
  );
}

function splitPath(path: string): [string, string] {
  const at = path.indexOf("?");
  return at === -1 ? [path, ""] : [path.slice(0, at), path.slice(at + 1)];
}

function withQuery(path: string, query: string): string {
  return query === "" ? path : `${path}?${query}`;
}

const mutateQuery: Mutation = (request, random) => {
  const [path, query] = splitPath(request.path);
  const params = query === "" ? [] : query.split("&");
  const kind = random.int(5);
  if (kind === 0) return { ...request, path: withQuery(path, forRequestLine(mutateText(random, query))) };
  if (kind === 1 && params.length > 0) {
    const at = random.int(params.length);
    const [key] = (params[at] as string).split("=");
    params[at] = `${key}=${forRequestLine(random.pick(NASTY_STRINGS).slice(0, 300))}`;
  } else if (kind === 2) {
    params.push(
      `${forRequestLine(random.pick(NASTY_STRINGS).slice(0, 50))}=${forRequestLine(random.pick(NASTY_STRINGS).slice(0, 50))}`,
    );
  } else if (kind === 3 && params.length > 0) {
    params.push(random.pick(params)); // a repeated parameter
  } else {
    return { ...request, path: withQuery(path, forRequestLine(random.pick(NASTY_STRINGS).slice(0, 300))) };
  }
  return { ...request, path: withQuery(path, params.join("&")) };
};

const mutatePath: Mutation = (request, random) => {
  const [path, query] = splitPath(request.path);
  const segments = path.split("/");
  const kind = random.int(4);
  if (kind === 0) segments.push(forRequestLine(random.pick(NASTY_STRINGS).slice(0, 200)));
  else if (kind === 1 && segments.length > 1)
    segments[segments.length - 1] = forRequestLine(random.pick(NASTY_STRINGS).slice(0, 200));
  else if (kind === 2) segments.push("..", "%2e%2e", "%2f");
  else segments.splice(1 + random.int(segments.length), 0, "");
  return { ...request, path: withQuery(segments.join("/"), query) };
};

const mutateHeaders: Mutation = (request, random) => {
  const headers: Record<string, string> = { ...request.headers };
  const kind = random.int(4);
  if (kind === 0) headers["content-type"] = random.pick(NASTY_CONTENT_TYPES);
  else if (kind === 1) {
    const name = random.pick(Object.keys(HEADER_VALUES));
    headers[name] = random.pick(HEADER_VALUES[name] as readonly string[]);
  } else if (kind === 2) {
    const names = Object.keys(headers);
    if (names.length > 0) delete headers[random.pick(names)];
  } else {
    const names = Object.keys(headers);
    if (names.length > 0) {
      const name = random.pick(names);
      headers[name] = mutateText(random, headers[name] as string).slice(0, 2000);
    }
  }
  return { ...request, headers };
};

/** Replaces one value somewhere inside a JSON document (or the document itself). */
function replaceSomewhere(random: Random, value: unknown): unknown {
  if (random.chance(0.2) || value === null || typeof value !== "object") return random.pick(NASTY_JSON);
  if (Array.isArray(value)) {
    if (value.length === 0) return [random.pick(NASTY_JSON)];
    const copy = [...value];
    const at = random.int(copy.length);
    copy[at] = replaceSomewhere(random, copy[at]);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const kind = random.next();
  if (keys.length === 0 || kind < 0.1)
    copy[random.pick(NASTY_STRINGS).slice(0, 50)] = random.pick(NASTY_JSON);
  else if (kind < 0.2) delete copy[random.pick(keys)];
  else {
    const key = random.pick(keys);
    copy[key] = replaceSomewhere(random, copy[key]);
  }
  return copy;
}

const mutateBody: Mutation = (request, random) => {
  const body = request.body ?? "";
  const kind = random.next();
  if (kind < 0.15) return { ...request, body: random.pick(NASTY_BODIES) };
  if (kind < 0.3) return { ...request, body: mutateText(random, body) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ...request, body: mutateText(random, body) };
  }
  return { ...request, body: JSON.stringify(replaceSomewhere(random, parsed)) };
};

const mutateMethod: Mutation = (request, random) => ({
  ...request,
  method: random.pick(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]),
});

/** The mutations every route gets, each with its weight. */
export const GENERIC_MUTATIONS: readonly [Mutation, number][] = [
  [mutateQuery, 3],
  [mutateHeaders, 3],
  [mutateBody, 3],
  [mutatePath, 1],
  [mutateMethod, 1],
  [oddTokens, 2],
  [opaqueKeys, 1],
];

/** Applies one to three mutations, picked among the generic ones and the service's own. */
export function mutateRequest(
  random: Random,
  request: FuzzRequest,
  own: readonly Mutation[],
  apply: (mutation: Mutation, request: FuzzRequest) => FuzzRequest,
): FuzzRequest {
  const weighted: Mutation[] = [];
  for (const [mutation, weight] of GENERIC_MUTATIONS)
    for (let i = 0; i < weight; i += 1) weighted.push(mutation);
  for (const mutation of own) for (let i = 0; i < 3; i += 1) weighted.push(mutation);
  let result = request;
  const count = 1 + random.int(3);
  for (let i = 0; i < count; i += 1) result = apply(random.pick(weighted), result);
  return result;
}
