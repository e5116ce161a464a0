import { SignJWT } from "jose";
import { observeStatements, type Statement } from "../../src/services/rest/execute.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { GRAMMAR_FIXTURE } from "./fixtures.js";

/** Tenants of the example project's seed. */
export const ACME = "00000000-0000-4000-8000-00000000a001";
export const GLOBEX = "00000000-0000-4000-8000-00000000b001";

/**
 * An access token for a seeded user, signed like the auth service signs them, with the
 * app_metadata the example project's access token hook adds (active tenant and role in it).
 */
export async function userToken(
  server: TestServer,
  email: string,
  claims: Record<string, unknown> = {},
): Promise<string> {
  const { rows } = await server.database.query<{ id: string; app_metadata: Record<string, unknown> }>(
    `select u.id,
            groundwork.access_token_hook(jsonb_build_object('user_id', u.id,
              'claims', jsonb_build_object('app_metadata', coalesce(u.raw_app_meta_data, '{}')))) -> 'claims' -> 'app_metadata' as app_metadata
     from auth.users u where u.email = $1`,
    [email],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error(`no seeded user ${email}`);
  return new SignJWT({
    sub: id,
    role: "authenticated",
    aud: "authenticated",
    email,
    app_metadata: rows[0]?.app_metadata,
    ...claims,
  })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(server.config.jwt.secret));
}

export interface RestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  readonly json: unknown;
}

/** A raw request to `/rest/v1` with the anon key unless `authorization` is given. */
export async function rest(
  server: TestServer,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; token?: string } = {},
): Promise<RestResponse> {
  const headers: Record<string, string> = { apikey: server.anonKey, ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  const response = await fetch(`${server.url}/rest/v1${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A server on the platform template with the grammar fixture loaded, recording the SQL it runs. */
export interface GrammarServer {
  readonly server: TestServer;
  /** The last statement the data API executed. */
  readonly seen: { last: Statement | null };
  close(): Promise<void>;
}

/**
 * Waits until the schema cache serves `path` (after `notify pgrst`): a fixed pause is too short
 * on a loaded machine. Gives up after 15 s.
 */
export async function untilServed(
  server: TestServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await rest(server, path, { token: server.serviceRoleKey, headers });
    const code = (response.json as { code?: string } | undefined)?.code;
    if (code !== "PGRST205" && code !== "PGRST202" && code !== "PGRST106") return;
    if (Date.now() > deadline) throw new Error(`the schema cache never served ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the server the table-driven suites share, with `fixture` loaded (the grammar's by
 * default), once the schema cache serves `probe`.
 */
export async function startGrammarServer(
  fixture = GRAMMAR_FIXTURE,
  probe = "/films?limit=0",
): Promise<GrammarServer> {
  const server = await startTestServer({ template: "platform" });
  await server.database.query(fixture);
  await server.database.query("notify pgrst, 'reload schema'");
  await untilServed(server, probe);
  const seen: { last: Statement | null } = { last: null };
  const stop = observeStatements((statement) => {
    seen.last = statement;
  });
  return {
    server,
    seen,
    async close() {
      stop();
      await server.close();
    },
  };
}
