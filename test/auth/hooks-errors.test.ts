import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, startAuthServer, uniqueEmail } from "./helpers.js";

/**
 * A password verification attempt hook that answers however `hook_mode` says, to see how every
 * kind of wrong answer reaches the client. Every hook goes through the same caller, so what holds
 * here holds for the others (their own files test their decisions).
 */
const HOOK_SQL = `
  create table public.hook_mode (mode text not null);
  insert into public.hook_mode values ('ok');

  create function public.moody_hook(event jsonb) returns jsonb
  language plpgsql as $$
  declare
    mode text := (select m.mode from public.hook_mode m);
  begin
    case mode
      when 'raise' then raise exception 'bug in the hook';
      when 'sleep' then perform pg_sleep(10);
      when 'string' then return '"reject"'::jsonb;
      when 'number_decision' then return jsonb_build_object('decision', 1);
      when 'null' then return null;
      when 'error_429' then
        return jsonb_build_object('error', jsonb_build_object('http_code', 429, 'message', 'Trop d''essais ⏳ 請稍候'));
      when 'error_no_code' then
        return jsonb_build_object('error', jsonb_build_object('message', 'Service en pause ⏸'));
      when 'error_200' then
        return jsonb_build_object('error', jsonb_build_object('http_code', 200, 'message', 'not an error code'));
      when 'error_no_message' then
        return jsonb_build_object('error', jsonb_build_object('http_code', 403));
      when 'reject' then return jsonb_build_object('decision', 'reject');
      else null;
    end case;
    return jsonb_build_object('decision', 'continue');
  end
  $$;
  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.moody_hook to supabase_auth_admin;
  revoke execute on function public.moody_hook from authenticated, anon, public;
  grant select on public.hook_mode to supabase_auth_admin;
`;
const HOOK_URI = "pg-functions://postgres/public/moody_hook";
const PASSWORD = "hook-pass-123";

describe("auth: hook errors", () => {
  let server: TestServer;
  let email: string;
  beforeAll(async () => {
    server = await startAuthServer({
      extraToml: `[auth.hook.password_verification_attempt]\nenabled = true\nuri = "${HOOK_URI}"`,
    });
    await server.database.query(HOOK_SQL);
    email = uniqueEmail("moody");
    expect((await server.client().auth.signUp({ email, password: PASSWORD })).error).toBeNull();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    await setMode("ok");
  });

  async function setMode(mode: string): Promise<void> {
    await server.database.query("update public.hook_mode set mode = $1", [mode]);
  }

  function signIn(headers: Record<string, string> = {}) {
    return api(server, "POST", "/token?grant_type=password", {
      body: { email, password: PASSWORD },
      headers,
    });
  }

  it.each([
    ["raise", 500, "unexpected_failure", `Error running hook URI: ${HOOK_URI}`],
    ["string", 500, "unexpected_failure", "Error unmarshaling JSON output."],
    ["number_decision", 500, "unexpected_failure", "Error unmarshaling JSON output."],
    ["error_429", 429, "unknown", "Trop d'essais ⏳ 請稍候"],
    ["error_no_code", 500, "unexpected_failure", "Service en pause ⏸"],
    ["error_200", 500, "unexpected_failure", "not an error code"],
    ["reject", 400, "invalid_credentials", "Further password verification attempts will be rejected."],
  ])("answers mode %s with %i %s", async (mode, status, code, message) => {
    await setMode(mode);
    const response = await signIn();
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ code, message });
  });

  it.each([
    ["null", "SQL null"],
    ["error_no_message", "an error without a message (GoTrue ignores it)"],
  ])("treats %s (%s) as no objection", async (mode) => {
    await setMode(mode);
    const response = await signIn();
    expect(response.status).toBe(200);
    expect(response.body.access_token).toEqual(expect.any(String));
  });

  it("cuts off a hook that runs past GoTrue's 2 s timeout with a 500, and the next request works", async () => {
    await setMode("sleep");
    const started = Date.now();
    const response = await signIn({ "x-supabase-api-version": "" });
    const elapsed = Date.now() - started;
    expect(response.status).toBe(500);
    // The legacy body carries the request id for 5xx answers.
    expect(response.body).toMatchObject({
      code: 500,
      error_code: "unexpected_failure",
      msg: `Error running hook URI: ${HOOK_URI}`,
      error_id: expect.any(String),
    });
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(9000);
    await setMode("ok");
    expect((await signIn()).status).toBe(200);
  });

  it("calls the function as supabase_auth_admin: without its grant, the call fails", async () => {
    await server.database.query("revoke execute on function public.moody_hook from supabase_auth_admin");
    try {
      const response = await signIn();
      expect(response.status).toBe(500);
      expect(response.body.message).toBe(`Error running hook URI: ${HOOK_URI}`);
    } finally {
      await server.database.query("grant execute on function public.moody_hook to supabase_auth_admin");
    }
    expect((await signIn()).status).toBe(200);
  });

  it("a rejection without should_logout_user keeps the user's sessions", async () => {
    expect((await signIn()).status).toBe(200);
    const before = await server.database.query("select count(*)::int as n from auth.sessions");
    await setMode("reject");
    expect((await signIn()).status).toBe(400);
    const after = await server.database.query("select count(*)::int as n from auth.sessions");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("times every call in /metrics, by hook and outcome", async () => {
    await setMode("raise");
    await signIn();
    await setMode("error_429");
    await signIn();
    await setMode("ok");
    await signIn();
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const outcome of ["success", "error", "failure"]) {
      expect(text).toMatch(
        new RegExp(
          `^groundwork_auth_hook_seconds_count\\{hook="password_verification_attempt",outcome="${outcome}"\\} [1-9]`,
          "m",
        ),
      );
    }
  });
});
