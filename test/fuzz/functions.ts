import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService, Mutation } from "./types.js";

/** A function that reads the whole request and echoes it, so every part reaches the runtime. */
const MIRROR = `Deno.serve(async (req) => {
  const url = new URL(req.url);
  const body = await req.text();
  return Response.json({ path: url.pathname, search: url.search, method: req.method, length: body.length });
});
`;

function call(path: string, context: FuzzContext, body?: unknown): FuzzRequest {
  const key = context.server.anonKey;
  return {
    method: body === undefined ? "GET" : "POST",
    path,
    headers: {
      apikey: key,
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

const ROUTES: readonly FuzzRoute[] = [
  { method: "GET", route: "/functions/v1", example: (c) => call("/functions/v1", c), exampleStatus: 404 },
  { method: "GET", route: "/functions/v1/", example: (c) => call("/functions/v1/", c), exampleStatus: 404 },
  {
    method: "POST",
    route: "/functions/v1/*",
    example: (c) => call("/functions/v1/mirror/a/b?q=%C3%A9", c, { name: "Zoë 👋", city: "東京" }),
  },
  { method: "GET", route: "/functions/v1/*", example: (c) => call("/functions/v1/mirror?x=1", c) },
];

/** Function names the relay must answer 404 (or route to mirror) for, never a worker crash. */
const NAMES = [
  "",
  "_shared",
  "mirror%00",
  "mirror%2F..%2F..%2Fconfig.toml",
  "..%2F..",
  "%F0%9F%98%80",
  "日本語",
  "-x",
  "MIRROR",
  "a".repeat(300),
  "mirror;x=1",
  "mirror%20",
];

/** Swaps the function name (the first segment after /functions/v1) for a hostile one. */
const functionNames: Mutation = (request, random) => {
  const rest = request.path.replace(/^\/functions\/v1\/[^/?]*/, "");
  return { ...request, path: `/functions/v1/${encodeURI(random.pick(NAMES)).replace(/%25/g, "%")}${rest}` };
};

/** The relay's own headers: verify_jwt credentials, the request id, hop-by-hop headers. */
const functionHeaders: Mutation = (request, random) => {
  const [name, value] = random.pick<[string, string]>([
    ["authorization", ""],
    ["authorization", "Basic YTpi"],
    ["authorization", "Bearer"],
    ["authorization", "Bearer not.a.jwt"],
    ["authorization", "Bearer sb_secret_forged"],
    ["authorization", "bearer x"],
    ["apikey", "sb_publishable_forged"],
    ["x-groundwork-request-id", "spoofed"],
    ["x-groundwork-client", "1 203.0.113.9"],
    ["x-request-id", "../../etc"],
    ["connection", "upgrade"],
    ["upgrade", "websocket"],
    ["te", "trailers"],
    ["x-region", "mars-1"],
    ["content-type", "multipart/form-data; boundary="],
  ]);
  return { ...request, headers: { ...request.headers, [name]: value } };
};

/** Methods, and bodies up to past the body limit (20 MB by default), that go to the function. */
const functionBodies: Mutation = (request, random) => {
  const method = random.pick([
    "GET",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "HEAD",
    "PROPFIND",
    "TRACE",
    "M-SEARCH",
  ]);
  const body = random.chance(0.03)
    ? "x".repeat(20 * 1024 * 1024 + 1)
    : random.pick(["", "\u0000\u0001", "é".repeat(1000), '{"a":', "🎉".repeat(100)]);
  return method === "GET" || method === "HEAD" ? { ...request, method } : { ...request, method, body };
};

/** The relay's answers: Supabase's `Function not found`, `{msg}` 401s, `{code, message}` otherwise. */
function relayShape(status: number, body: string): string | null {
  if (status === 404 && body === "Function not found") return null;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (status === 401 && typeof parsed.msg === "string") return null;
    if (typeof parsed.code === "string" && typeof parsed.message === "string") return null;
  } catch {
    // Not JSON: not the relay's shape.
  }
  return "not a relay error (Function not found, {msg}, {code, message})";
}

/**
 * Edge functions: the relay around a real function (its own answers are the function's, whatever
 * their status, so only a mirror that always answers 200 is called).
 */
export const functionsFuzz: FuzzService = {
  name: "functions",
  prefix: "/functions/v1",
  routes: ROUTES,
  mutations: [functionNames, functionHeaders, functionBodies],
  errorShape: relayShape,
  async setup(server) {
    const dir = path.join(server.config.projectDir, "supabase", "functions", "mirror");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "index.ts"), MIRROR);
    return {};
  },
  async healthy({ server }) {
    const response = await fetch(`${server.url}/functions/v1/mirror`, {
      method: "POST",
      headers: {
        apikey: server.anonKey,
        authorization: `Bearer ${server.anonKey}`,
        "content-type": "application/json",
      },
      body: '{"a":1}',
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await response.json()) as { length?: number };
    if (response.status !== 200 || body.length !== 7) {
      throw new Error(`POST /functions/v1/mirror answered ${response.status}: ${JSON.stringify(body)}`);
    }
  },
};
