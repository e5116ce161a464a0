import { GRAMMAR_FIXTURE } from "../rest/fixtures.js";
import { untilServed } from "../rest/helpers.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService, Mutation } from "./types.js";

/** A table of every common column type, for writes (created in setup). */
const FUZZ_TABLE = `
create table public.fuzz_items (
  id int primary key,
  name text,
  data jsonb,
  tags text[],
  at timestamptz,
  amount numeric(10, 2),
  ref uuid,
  flag boolean
);
grant all on public.fuzz_items to anon, authenticated, service_role;
insert into public.fuzz_items values (1, 'Åland 👋', '{"city": "東京"}', '{a,b}', now(), 1.5, gen_random_uuid(), true);
`;

function request(
  method: string,
  path: string,
  context: FuzzContext,
  body?: unknown,
  extra: Record<string, string> = {},
): FuzzRequest {
  const key = context.server.serviceRoleKey;
  return {
    method,
    path,
    headers: {
      apikey: key,
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...extra,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

const ROUTES: readonly FuzzRoute[] = [
  // The root: the OpenAPI description.
  { method: "GET", route: "/rest/v1", example: (c) => request("GET", "/rest/v1", c) },
  { method: "GET", route: "/rest/v1/", example: (c) => request("GET", "/rest/v1/", c) },
  {
    method: "GET",
    route: "/rest/v1/*",
    example: (c) =>
      request("GET", "/rest/v1/films?select=id,title,directors(name)&year=gt.1950&order=id.desc&limit=3", c),
  },
  {
    method: "HEAD",
    route: "/rest/v1/*",
    example: (c) => request("HEAD", "/rest/v1/fuzz_items?select=id", c, undefined, { prefer: "count=exact" }),
  },
  {
    method: "POST",
    route: "/rest/v1/*",
    example: (c) =>
      request(
        "POST",
        "/rest/v1/fuzz_items?select=id,name",
        c,
        {
          id: 1000,
          name: "Curaçao — 日本 مرحبا",
          data: { é: [1, "👋"] },
          tags: ["ü"],
          amount: 3.25,
          flag: false,
        },
        {
          prefer: "return=representation,resolution=merge-duplicates",
        },
      ),
  },
  {
    method: "PATCH",
    route: "/rest/v1/*",
    example: (c) =>
      request(
        "PATCH",
        "/rest/v1/fuzz_items?id=eq.1",
        c,
        { name: "Ñandú", data: { n: 1 } },
        { prefer: "return=minimal" },
      ),
  },
  {
    method: "PUT",
    route: "/rest/v1/*",
    example: (c) => request("PUT", "/rest/v1/fuzz_items?id=eq.2", c, { id: 2, name: "put" }),
  },
  {
    method: "DELETE",
    route: "/rest/v1/*",
    example: (c) => request("DELETE", "/rest/v1/fuzz_items?id=eq.999", c),
  },
  { method: "OPTIONS", route: "/rest/v1/*", example: (c) => request("OPTIONS", "/rest/v1/films", c) },
  {
    method: "POST",
    route: "/rest/v1/*",
    example: (c) => request("POST", "/rest/v1/rpc/films_after", c, { y: 1960 }),
  },
  { method: "GET", route: "/rest/v1/*", example: (c) => request("GET", "/rest/v1/rpc/pairs?n=2", c) },
  {
    method: "GET",
    route: "/rest/v1/*",
    example: (c) => ({
      ...request("GET", "/rest/v1/contacts?select=id,first_name,organizations(name)&limit=2", c),
      headers: { apikey: c.server.anonKey, authorization: `Bearer ${c.values.userToken}` },
    }),
  },
];

/** Valid queries of the PostgREST grammar (filters, embeds, logic trees, casts), to mutate character by character. */
const GRAMMAR = [
  "select=id,title,directors(name)&id=eq.1",
  "select=*,actors(*)&order=id.desc.nullslast&limit=2&offset=1",
  "or=(id.eq.1,and(year.gt.1960,title.ilike.*a*))&select=id",
  "select=t:title,y:year::text,meta->>lang&meta->awards->>count=gte.1",
  "tags=cs.{drama}&during=sl.[1970,1990)&doc=fts(english).travel",
  'select=id,directors!inner(name)&directors.name=in.("Agnes Varda",x)&not.or=(id.eq.3)',
  "select=title,...directors(name)&order=directors(name).asc&id=not.is.null",
  "select=id&title=like(any).{*a*,*b*}&rating=isdistinct.8.1",
  "select=id,director_id(name),directors!films_director_id_fkey(born)&id=gt.1",
  "select=id,directors(count(),...films(title))&roles.character=eq.x",
];
const GRAMMAR_ALPHABET = [..."abcdeilnorstyz_.,:!()*{}[]\"\\-><=&%+ 0123456789'$;/\u0000é"];

/** The grammar queries with one to four characters inserted, dropped or replaced, against films. */
const grammarQuery: Mutation = (request, random) => {
  const chars = [...random.pick(GRAMMAR)];
  const edits = 1 + random.int(4);
  for (let i = 0; i < edits; i += 1) {
    const at = random.int(chars.length + 1);
    const kind = random.next();
    if (kind < 0.4) chars.splice(at, 0, random.pick(GRAMMAR_ALPHABET));
    else if (kind < 0.7) chars.splice(at, 1);
    else chars[at] = random.pick(GRAMMAR_ALPHABET);
  }
  const query = chars
    .join("")
    .replace(/[^A-Za-z0-9_.,:!()*{}\-><=&%+ '$;~]/g, (c) => encodeURIComponent(c))
    .replaceAll(" ", "%20");
  const path = random.chance(0.2) ? "/rest/v1/rpc/films_after" : "/rest/v1/films";
  return { ...request, path: `${path}?${query}` };
};

/** PostgREST's own headers with values it must refuse cleanly. */
const restHeaders: Mutation = (request, random) => {
  const name = random.pick([
    "prefer",
    "accept",
    "content-type",
    "range",
    "accept-profile",
    "content-profile",
  ]);
  const value = random.pick([
    "return=representation,count=exact,tx=rollback,handling=strict,max-affected=1",
    'application/vnd.pgrst.plan+json; for="application/json"; options=analyze|verbose',
    "application/vnd.pgrst.object+json;nulls=stripped",
    "application/geo+json",
    "text/csv",
    "application/x-www-form-urlencoded",
    "0-99999999999999999999999",
    "garbage",
    "a/b/c",
    "application/json, text/csv",
    ";",
    "",
  ]);
  return { ...request, headers: { ...request.headers, [name]: value } };
};

/** PostgREST's error body: exactly code, details, hint and message. */
function postgrestShape(_status: number, body: string): string | null {
  if (body === "") return null; // HEAD and 406-on-HEAD carry no body
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "not JSON";
  }
  const keys = Object.keys(parsed as object)
    .sort()
    .join(",");
  return keys === "code,details,hint,message" ? null : `keys ${keys}`;
}

/** The data API (PostgREST's grammar under /rest/v1). */
export const restFuzz: FuzzService = {
  name: "rest",
  prefix: "/rest/v1",
  routes: ROUTES,
  mutations: [grammarQuery, restHeaders],
  async setup(server) {
    await server.database.query(GRAMMAR_FIXTURE);
    await server.database.query(FUZZ_TABLE);
    await server.database.query("notify pgrst, 'reload schema'");
    await untilServed(server, "/fuzz_items?limit=0");
    await untilServed(server, "/films?limit=0");
    const response = await fetch(`${server.url}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { apikey: server.anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@test.local", password: "TestPass123!" }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200)
      throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
    return { userToken: ((await response.json()) as { access_token: string }).access_token };
  },
  errorShape: postgrestShape,
  async healthy({ server }) {
    const response = await fetch(`${server.url}/rest/v1/films?select=id,title&id=eq.1`, {
      headers: { apikey: server.serviceRoleKey, authorization: `Bearer ${server.serviceRoleKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    if (response.status !== 200 || JSON.parse(body).length !== 1)
      throw new Error(`GET /rest/v1/films answered ${response.status}: ${body}`);
  },
};
