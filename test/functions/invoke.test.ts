import { FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { ACME, userToken } from "../rest/helpers.js";
import { functionsProject } from "./fixtures.js";

// Real Deno functions behind /functions/v1, called through supabase-js's functions.invoke.
describe("edge functions through supabase-js", () => {
  let project: TempProject;
  let server: TestServer;
  let anon: SupabaseClient;

  beforeAll(async () => {
    project = functionsProject();
    server = await startTestServer({ projectDir: project.dir });
    anon = server.client();
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/functions/v1/${path}`, { ...init, signal: AbortSignal.timeout(20_000) });

  it("runs the `functions new` template with its JSR type import, non-ASCII text intact", async () => {
    const { data, error } = await anon.functions.invoke("hello", { body: { name: "Wörld 🌍 東京" } });
    expect(error).toBeNull();
    expect(data).toEqual({ message: "Hello Wörld 🌍 東京!" });
  });

  it("passes method, sub-path, query, headers and body through; Authorization unchanged", async () => {
    const { data, error } = await anon.functions.invoke("mirror/sub/path?x=1&y=å", {
      method: "PUT",
      body: "plain text ✓",
      headers: { "x-custom": "kept" },
    });
    expect(error).toBeNull();
    expect(data.method).toBe("PUT");
    expect(data.path).toBe("/mirror/sub/path");
    expect(decodeURIComponent(data.search)).toBe("?x=1&y=å");
    expect(data.body).toBe("plain text ✓");
    const headers = Object.fromEntries(data.headers as [string, string][]);
    expect(headers.authorization).toBe(`Bearer ${server.anonKey}`);
    expect(headers.apikey).toBe(server.anonKey);
    expect(headers["x-custom"]).toBe("kept");
    expect(headers["x-groundwork-request-id"]).toBeUndefined();
  });

  it("gives the handler the client's address, which a client's header cannot set", async () => {
    const response = await call("mirror", { headers: { "x-groundwork-client": "1 203.0.113.9" } });
    const data = (await response.json()) as { remote: Record<string, unknown>; headers: [string, string][] };
    expect(data.remote).toMatchObject({ transport: "tcp", hostname: "127.0.0.1" });
    expect(data.remote.port).toBeGreaterThan(0);
    expect(data.headers.map(([name]) => name)).not.toContain("x-groundwork-client");
  });

  it("all methods reach the function", async () => {
    for (const method of ["GET", "POST", "PATCH", "DELETE", "OPTIONS"] as const) {
      const response = await call("mirror", { method });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { method: string }).method).toBe(method);
    }
    const head = await call("mirror", { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  describe("verify_jwt", () => {
    it("answers 401 as the relay does without a valid Bearer token", async () => {
      const missing = await call("hello", { method: "POST" });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ msg: "Error: Missing authorization header" });
      const basic = await call("hello", { method: "POST", headers: { authorization: "Basic abc" } });
      expect(await basic.json()).toEqual({ msg: "Error: Auth header is not 'Bearer {token}'" });
      const bad = await call("hello", { method: "POST", headers: { authorization: "Bearer not.a.jwt" } });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({ msg: "Invalid JWT" });
    });

    it("lets a function with verify_jwt = false be called without a token", async () => {
      const response = await call("mirror", { method: "POST", body: "x" });
      expect(response.status).toBe(200);
    });

    it("accepts this project's opaque keys, as the Bearer token or alone in apikey", async () => {
      const publishable = server.config.jwt.publishableKeys[0] as string;
      const { data, error } = await server
        .client(publishable)
        .functions.invoke("hello", { body: { name: "key" } });
      expect(error).toBeNull();
      expect(data).toEqual({ message: "Hello key!" });
      const alone = await call("hello", {
        method: "POST",
        headers: { apikey: publishable },
        body: '{"name":"a"}',
      });
      expect(alone.status).toBe(200);
      const forged = await call("hello", { method: "POST", headers: { apikey: "sb_publishable_forged" } });
      expect(forged.status).toBe(401);
      const forgedBearer = await call("hello", {
        method: "POST",
        headers: { authorization: "Bearer sb_secret_x" },
      });
      expect(await forgedBearer.json()).toEqual({ msg: "Invalid JWT" });
    });

    it("surfaces the 401 through supabase-js as a FunctionsHttpError", async () => {
      const { error } = await server.client("not-a-key").functions.invoke("hello", { body: { name: "x" } });
      expect(error).toBeInstanceOf(FunctionsHttpError);
      expect((error as FunctionsHttpError).context.status).toBe(401);
    });
  });

  it("gives the Supabase variables, config secrets and .env, and nothing of the server's", async () => {
    const { data, error } = await anon.functions.invoke("env", { method: "GET" });
    expect(error).toBeNull();
    expect(data.url).toBe(server.url);
    expect(data.anon).toBe(server.anonKey);
    expect(data.service).toBe(server.serviceRoleKey);
    expect(data.db).toMatch(/^postgres(ql)?:\/\//);
    expect(data.fromEnvFile).toBe("hej från .env ✨");
    expect(data.fromConfig).toBe("from config.toml");
    expect(data.leaked).toEqual([]);
    expect(JSON.parse(data.publishable)).toEqual({ default: server.config.jwt.publishableKeys[0] });
    expect(JSON.parse(data.secret)).toEqual({ default: server.config.jwt.secretKeys[0] });
    expect(JSON.parse(data.jwks)).toHaveProperty("keys");
  });

  it("a function's supabase-js runs as the caller under RLS", async () => {
    const acme = server.client(await userToken(server, "admin@test.local"));
    const mine = await acme.functions.invoke("contacts", { method: "GET" });
    expect(mine.error).toBeNull();
    expect(mine.data.contacts).toHaveLength(3);
    expect(mine.data.contacts.every((c: { tenant_id: string }) => c.tenant_id === ACME)).toBe(true);
    const asAnon = await anon.functions.invoke("contacts", { method: "GET" });
    expect(asAnon.data.contacts).toEqual([]);
    const asService = await server
      .client(server.serviceRoleKey)
      .functions.invoke("contacts", { method: "GET" });
    expect(asService.data.contacts).toHaveLength(4);
  });

  it("leaves CORS preflight to the function", async () => {
    const response = await call("contacts", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "authorization, x-client-info, apikey, content-type",
    );
  });

  it("resolves jsr: and esm.sh supabase-js imports and the deno.land std serve offline", async () => {
    const { data } = await anon.functions.invoke("jsr-import", { method: "GET" });
    expect(data).toEqual({ jsr: "function", esm: "function" });
    const std = await anon.functions.invoke("std-serve", { method: "GET" });
    expect(std.data).toBe("served by std");
  });

  it("answers 404 for unknown, disabled and _shared names", async () => {
    for (const name of ["nope", "disabled", "_shared", "h%C3%A9llo", "x".repeat(200)]) {
      const response = await call(name, { headers: { authorization: `Bearer ${server.anonKey}` } });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("Function not found");
    }
  });

  it("streams a text/event-stream response chunk by chunk", async () => {
    const { data, error } = await anon.functions.invoke("stream", { method: "GET" });
    expect(error).toBeNull();
    const reader = (data as Response).body?.getReader();
    const arrivals: number[] = [];
    let text = "";
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      arrivals.push(Date.now());
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toBe("data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it("streams request bodies up to the limit and refuses larger ones with 413", async () => {
    const auth = { authorization: `Bearer ${server.anonKey}` };
    const ok = await call("upload", { method: "POST", headers: auth, body: new Uint8Array(900_000) });
    expect(await ok.json()).toEqual({ bytes: 900_000 });
    const tooBig = await call("upload", { method: "POST", headers: auth, body: new Uint8Array(2_000_000) });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { code: string }).code).toBe("PAYLOAD_TOO_LARGE");
    // A chunked body has no length up front: it is counted as it streams.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(100_000));
        controller.close();
      },
    });
    const chunked = await call("upload", {
      method: "POST",
      headers: auth,
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it("keeps the function to its own folder: no project files, no writes there, no subprocesses", async () => {
    const { data } = await anon.functions.invoke("snoop", { method: "GET" });
    expect(data.own).toBe("allowed");
    expect(data.tmp).toBe("allowed");
    expect(data.config).toBe("NotCapable");
    expect(data.envFile).toBe("NotCapable");
    expect(data.write).toBe("NotCapable");
    expect(data.run).toBe("NotCapable");
  });

  it("EdgeRuntime.waitUntil is there", async () => {
    const { data } = await anon.functions.invoke("waituntil", { method: "GET" });
    expect(data).toBe("later");
  });

  it("passes non-ASCII request and response text through", async () => {
    const { data } = await anon.functions.invoke("unicode", { body: "ça va? 🙂 漢字" });
    expect(data).toBe("got: ça va? 🙂 漢字 — 你好 🌍");
  });
});
