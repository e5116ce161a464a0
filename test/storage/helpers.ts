import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import { startTestServer, type TestServer, type TestServerOptions } from "../harness/server.js";

/** A test server whose storage bytes live in a temporary folder of its own. */
export interface StorageTestServer extends TestServer {
  readonly storagePath: string;
  /** A supabase-js client acting as a signed-in user with this `sub`. */
  userClient(sub: string, claims?: Record<string, unknown>): Promise<SupabaseClient>;
  userToken(sub: string, claims?: Record<string, unknown>): Promise<string>;
}

export async function startStorageServer(options: TestServerOptions = {}): Promise<StorageTestServer> {
  const storagePath = await mkdtemp(path.join(tmpdir(), "gw-storage-"));
  const server = await startTestServer({
    template: "platform",
    ...options,
    env: {
      GROUNDWORK_STORAGE_PATH: storagePath,
      GROUNDWORK_RESUMABLE_PATH: `${storagePath}-resumable`,
      ...options.env,
    },
  });
  const userToken = (sub: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({
      role: "authenticated",
      aud: "authenticated",
      sub,
      exp: Math.floor(Date.now() / 1000) + 3600,
      ...claims,
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(server.config.jwt.secret));
  return {
    ...server,
    storagePath,
    userToken,
    async userClient(sub, claims) {
      return server.client(await userToken(sub, claims));
    },
    async close() {
      // Connections a test left mid-request (a client that hung up half way) would hold the
      // close until Node's headers timeout.
      server.app.server.closeAllConnections();
      await server.close();
      await rm(storagePath, { recursive: true, force: true });
      await rm(`${storagePath}-resumable`, { recursive: true, force: true });
    },
  };
}

/** A fresh user id. */
export function newUser(): string {
  return randomUUID();
}

/** Supabase's documented policies for a bucket of per-user folders: `<uid>/...`. */
export function ownFolderPolicies(bucket: string): string {
  return `
    create policy "${bucket} read own" on storage.objects for select to authenticated
      using (bucket_id = '${bucket}' and (storage.foldername(name))[1] = (select auth.uid()::text));
    create policy "${bucket} insert own" on storage.objects for insert to authenticated
      with check (bucket_id = '${bucket}' and (storage.foldername(name))[1] = (select auth.uid()::text));
    create policy "${bucket} update own" on storage.objects for update to authenticated
      using (bucket_id = '${bucket}' and (storage.foldername(name))[1] = (select auth.uid()::text));
    create policy "${bucket} delete own" on storage.objects for delete to authenticated
      using (bucket_id = '${bucket}' and (storage.foldername(name))[1] = (select auth.uid()::text));`;
}

/** Raw HTTP against the server, for what supabase-js does not expose (status lines, headers). */
export async function http(
  server: TestServer,
  method: string,
  pathname: string,
  init: { token?: string; headers?: Record<string, string>; body?: RequestInit["body"] } = {},
): Promise<Response> {
  const headers: Record<string, string> = { apikey: server.anonKey, ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return fetch(`${server.url}/storage/v1${pathname}`, {
    method,
    headers,
    body: init.body,
    signal: AbortSignal.timeout(15_000),
  });
}
