import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService } from "./types.js";

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

/**
 * Edge functions: the relay around a real function (its own answers are the function's, whatever
 * their status, so only a mirror that always answers 200 is called).
 */
export const functionsFuzz: FuzzService = {
  name: "functions",
  prefix: "/functions/v1",
  routes: ROUTES,
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
