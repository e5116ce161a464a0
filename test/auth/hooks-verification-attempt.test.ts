import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { startAuthServer, uniqueEmail } from "./helpers.js";

/**
 * Password and MFA verification attempt hooks as Supabase's guides write them: failures are
 * counted in a table, and past a limit the hook rejects (and, for passwords, logs the user out).
 */
const HOOK_SQL = `
  create table public.failed_attempts (user_id uuid, kind text, failures int not null,
    primary key (user_id, kind));
  create table public.attempt_events (kind text not null, event jsonb not null);

  create function public.count_failure(uid uuid, what text) returns int
  language sql as $$
    insert into public.failed_attempts values (uid, what, 1)
    on conflict (user_id, kind) do update set failures = public.failed_attempts.failures + 1
    returning failures
  $$;

  create function public.password_attempt(event jsonb) returns jsonb
  language plpgsql as $$
  declare
    uid uuid := (event ->> 'user_id')::uuid;
    failures int;
  begin
    insert into public.attempt_events values ('password', event);
    if (event ->> 'valid')::boolean then
      failures := coalesce((select f.failures from public.failed_attempts f where f.user_id = uid and f.kind = 'password'), 0);
    else
      failures := public.count_failure(uid, 'password');
    end if;
    if failures >= 3 then
      return jsonb_build_object('decision', 'reject', 'message', 'Compte verrouillé 🔒 アカウントがロックされました',
        'should_logout_user', true);
    end if;
    return jsonb_build_object('decision', 'continue');
  end
  $$;

  create function public.mfa_attempt(event jsonb) returns jsonb
  language plpgsql as $$
  begin
    insert into public.attempt_events values ('mfa', event);
    if not (event ->> 'valid')::boolean and public.count_failure((event ->> 'user_id')::uuid, 'mfa') >= 2 then
      return jsonb_build_object('decision', 'reject');
    end if;
    return jsonb_build_object('decision', 'continue');
  end
  $$;

  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.password_attempt, public.mfa_attempt, public.count_failure to supabase_auth_admin;
  revoke execute on function public.password_attempt, public.mfa_attempt from authenticated, anon, public;
  grant select, insert, update on public.failed_attempts to supabase_auth_admin;
  grant insert on public.attempt_events to supabase_auth_admin;
`;

const PASSWORD = "hook-pass-123";

describe("auth: password and MFA verification attempt hooks", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      extraToml: [
        "[auth.hook.password_verification_attempt]",
        "enabled = true",
        'uri = "pg-functions://postgres/public/password_attempt"',
        "[auth.hook.mfa_verification_attempt]",
        "enabled = true",
        'uri = "pg-functions://postgres/public/mfa_attempt"',
      ].join("\n"),
    });
    await server.database.query(HOOK_SQL);
  });
  afterAll(async () => {
    await server.close();
  });

  async function events(kind: string, userId: string): Promise<Array<Record<string, unknown>>> {
    const { rows } = await server.database.query<{ event: Record<string, unknown> }>(
      "select event from public.attempt_events where kind = $1 and event ->> 'user_id' = $2",
      [kind, userId],
    );
    return rows.map((row) => row.event);
  }

  async function sessionCount(userId: string): Promise<number> {
    const { rows } = await server.database.query<{ n: number }>(
      "select count(*)::int as n from auth.sessions where user_id = $1",
      [userId],
    );
    return rows[0]?.n ?? -1;
  }

  it("hears every password check; after the third failure it rejects even the right password and logs the user out", async () => {
    const email = uniqueEmail("attempts");
    const owner = server.client();
    const signedUp = await owner.auth.signUp({
      email,
      password: PASSWORD,
      options: { data: { name: "Renée 🔑" } },
    });
    expect(signedUp.error).toBeNull();
    const userId = signedUp.data.user?.id ?? "";
    expect(await sessionCount(userId)).toBe(1);

    const right = await server.client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(right.error).toBeNull();
    expect(await sessionCount(userId)).toBe(2);

    for (const attempt of [1, 2]) {
      const wrong = await server.client().auth.signInWithPassword({ email, password: `wrong-${attempt}` });
      expect(wrong.error?.code).toBe("invalid_credentials");
      expect(wrong.error?.message).toBe("Invalid login credentials");
    }
    const third = await server.client().auth.signInWithPassword({ email, password: "wrong-3" });
    expect(third.error?.status).toBe(400);
    expect(third.error?.code).toBe("invalid_credentials");
    expect(third.error?.message).toBe("Compte verrouillé 🔒 アカウントがロックされました");
    // should_logout_user: every session ended, so the signed-in client can no longer refresh.
    expect(await sessionCount(userId)).toBe(0);
    expect((await owner.auth.refreshSession()).error?.code).toBe("refresh_token_not_found");

    const locked = await server.client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(locked.error?.message).toBe("Compte verrouillé 🔒 アカウントがロックされました");

    // The hook's own writes stay although the requests failed: it runs in a transaction of its own.
    const seen = await events("password", userId);
    expect(seen.map((event) => event.valid)).toEqual([true, false, false, false, true]);
    expect(seen[0]).toMatchObject({
      user_id: userId,
      metadata: { name: "password-verification", ip_address: expect.any(String) },
    });
  });

  it("is not asked about unknown users", async () => {
    const before = await server.database.query("select count(*)::int as n from public.attempt_events");
    const unknown = await server.client().auth.signInWithPassword({
      email: uniqueEmail("nobody"),
      password: PASSWORD,
    });
    expect(unknown.error?.code).toBe("invalid_credentials");
    const after = await server.database.query("select count(*)::int as n from public.attempt_events");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("hears every MFA verification; rejecting answers 403 mfa_verification_rejected and ends every session", async () => {
    const email = uniqueEmail("mfa-attempts");
    const client = server.client();
    const signedUp = await client.auth.signUp({ email, password: PASSWORD });
    expect(signedUp.error).toBeNull();
    const userId = signedUp.data.user?.id ?? "";
    const enrolled = await client.auth.mfa.enroll({ factorType: "totp", friendlyName: "Clé 🔐 鍵" });
    expect(enrolled.error).toBeNull();
    const factorId = enrolled.data?.id ?? "";
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolled.data?.totp.secret ?? "") });
    const verified = await client.auth.mfa.challengeAndVerify({ factorId, code: totp.generate() });
    expect(verified.error).toBeNull();

    const wrongCode = (): string => {
      const code = totp.generate();
      return `${(Number(code[0]) + 5) % 10}${code.slice(1)}`;
    };
    const first = await client.auth.mfa.challengeAndVerify({ factorId, code: wrongCode() });
    expect(first.error?.code).toBe("mfa_verification_failed");
    const second = await client.auth.mfa.challengeAndVerify({ factorId, code: wrongCode() });
    expect(second.error?.status).toBe(403);
    expect(second.error?.code).toBe("mfa_verification_rejected");
    expect(second.error?.message).toBe("Further MFA verification attempts will be rejected.");
    expect(await sessionCount(userId)).toBe(0);
    expect((await client.auth.refreshSession()).error?.code).toBe("refresh_token_not_found");

    const seen = await events("mfa", userId);
    expect(seen.map((event) => event.valid)).toEqual([true, false, false]);
    expect(seen[0]).toMatchObject({
      user_id: userId,
      factor_id: factorId,
      factor_type: "totp",
      metadata: { name: "mfa-verification" },
    });
  });
});
