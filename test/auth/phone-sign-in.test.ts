import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, startAuthServer } from "./helpers.js";

/**
 * Phone sign-in with no SMS provider: codes go to a send SMS hook (here it queues them in a table,
 * where a worker would hand them to a carrier) and test numbers get their fixed code.
 */
const HOOK_SQL = `
  create table public.sms_queue (id bigserial primary key, event jsonb not null);
  create table public.sms_hook_mode (mode text not null);
  insert into public.sms_hook_mode values ('ok');
  create function public.deliver_sms(event jsonb) returns jsonb
  language plpgsql as $$
  begin
    if (select m.mode from public.sms_hook_mode m) = 'error' then
      return jsonb_build_object('error', jsonb_build_object('http_code', 503,
        'message', 'Opérateur indisponible 📵'));
    end if;
    insert into public.sms_queue (event) values (event);
    return '{}'::jsonb;
  end
  $$;
  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.deliver_sms to supabase_auth_admin;
  revoke execute on function public.deliver_sms from authenticated, anon, public;
  grant insert on public.sms_queue to supabase_auth_admin;
  grant usage on sequence public.sms_queue_id_seq to supabase_auth_admin;
  grant select on public.sms_hook_mode to supabase_auth_admin;
`;

const PASSWORD = "phone-pass-123";
const TEST_NUMBER = "14152127777";
let nextNumber = 0;

/** A fresh number in E.164 form, written with `+` and spaces as users type them. */
function typedNumber(): { typed: string; stored: string } {
  nextNumber += 1;
  const local = `${Date.now() % 1_000_000}`.padStart(6, "0") + String(nextNumber).padStart(3, "0");
  return { typed: `+44 7${local.slice(0, 3)} ${local.slice(3)}`, stored: `447${local}` };
}

describe("auth: phone sign-in through the send SMS hook and test numbers", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      extraToml: [
        "[auth.sms]",
        "enable_signup = true",
        "enable_confirmations = true",
        'max_frequency = "2s"',
        "[auth.sms.test_otp]",
        `${TEST_NUMBER} = "123456"`,
        "[auth.hook.send_sms]",
        "enabled = true",
        'uri = "pg-functions://postgres/public/deliver_sms"',
      ].join("\n"),
    });
    await server.database.query(HOOK_SQL);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    await server.database.query("update public.sms_hook_mode set mode = 'ok'");
  });

  async function lastCode(phone: string): Promise<{ otp: string; event: Record<string, unknown> }> {
    const { rows } = await server.database.query<{
      event: { sms: { otp: string } } & Record<string, unknown>;
    }>("select event from public.sms_queue where event -> 'sms' ->> 'phone' = $1 order by id desc limit 1", [
      phone,
    ]);
    expect(rows).toHaveLength(1);
    const event = rows[0]?.event as { sms: { otp: string } } & Record<string, unknown>;
    return { otp: event.sms.otp, event };
  }

  it("signs up with a phone and password, confirms with the code the hook delivered, then signs in", async () => {
    const { typed, stored } = typedNumber();
    const client = server.client();
    const { data, error } = await client.auth.signUp({
      phone: typed,
      password: PASSWORD,
      options: { data: { name: "Søren Ødegård 山本 📱" } },
    });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.phone).toBe(stored);

    const { otp, event } = await lastCode(stored);
    expect(otp).toMatch(/^\d{6}$/);
    expect(event).toMatchObject({
      metadata: { name: "send-sms" },
      user: { id: data.user?.id, phone: stored, user_metadata: { name: "Søren Ødegård 山本 📱" } },
      sms: { phone: stored },
    });

    const unconfirmed = await server.client().auth.signInWithPassword({ phone: typed, password: PASSWORD });
    expect(unconfirmed.error?.code).toBe("phone_not_confirmed");

    const verified = await client.auth.verifyOtp({ phone: typed, token: otp, type: "sms" });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.phone_confirmed_at).toEqual(expect.any(String));
    expect(verified.data.user?.identities?.map((identity) => identity.provider)).toEqual(["phone"]);
    // The code is spent.
    const again = await server.client().auth.verifyOtp({ phone: typed, token: otp, type: "sms" });
    expect(again.error?.code).toBe("otp_expired");

    const signedIn = await server.client().auth.signInWithPassword({ phone: stored, password: PASSWORD });
    expect(signedIn.error).toBeNull();
    expect(decodeJwt(signedIn.data.session?.access_token ?? "")).toMatchObject({
      phone: stored,
      role: "authenticated",
    });
  });

  it("signs in with a code by SMS, creating the user first, and refuses wrong codes", async () => {
    const { typed, stored } = typedNumber();
    const client = server.client();
    const sent = await client.auth.signInWithOtp({ phone: typed });
    expect(sent.error).toBeNull();
    const { otp } = await lastCode(stored);

    const wrong = await client.auth.verifyOtp({
      phone: typed,
      token: otp === "000000" ? "111111" : "000000",
      type: "sms",
    });
    expect(wrong.error?.status).toBe(403);
    expect(wrong.error?.code).toBe("otp_expired");

    const signedIn = await client.auth.verifyOtp({ phone: typed, token: otp, type: "sms" });
    expect(signedIn.error).toBeNull();
    const claims = decodeJwt(signedIn.data.session?.access_token ?? "");
    expect(claims.phone).toBe(stored);
    expect(claims.amr).toEqual([expect.objectContaining({ method: "otp" })]);

    // A second code for the now confirmed user, once max_frequency has passed.
    const tooSoon = await client.auth.signInWithOtp({ phone: typed });
    expect(tooSoon.error?.status).toBe(429);
    expect(tooSoon.error?.code).toBe("over_sms_send_rate_limit");
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await client.auth.signInWithOtp({ phone: typed })).error).toBeNull();
    const second = await lastCode(stored);
    expect(second.otp).not.toBe("");
    expect((await client.auth.verifyOtp({ phone: typed, token: second.otp, type: "sms" })).error).toBeNull();
  });

  it("gives a test number its fixed code without any message", async () => {
    const before = await server.database.query("select count(*)::int as n from public.sms_queue");
    const response = await api(server, "POST", "/otp", { body: { phone: `+${TEST_NUMBER}` } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message_id: "test-otp" });
    const after = await server.database.query("select count(*)::int as n from public.sms_queue");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    const signedIn = await server
      .client()
      .auth.verifyOtp({ phone: TEST_NUMBER, token: "123456", type: "sms" });
    expect(signedIn.error).toBeNull();
    expect(signedIn.data.user?.phone).toBe(TEST_NUMBER);
  });

  it("refuses what it cannot serve with clear 4xx answers", async () => {
    const { typed, stored } = typedNumber();
    const noUser = await server
      .client()
      .auth.signInWithOtp({ phone: typed, options: { shouldCreateUser: false } });
    expect(noUser.error?.code).toBe("otp_disabled");
    const badNumber = await api(server, "POST", "/otp", { body: { phone: "+0 12 abc ☎" } });
    expect(badNumber.status).toBe(400);
    expect(badNumber.body).toEqual({
      code: "validation_failed",
      message: "Invalid phone number format (E.164 required)",
    });

    await server.database.query("update public.sms_hook_mode set mode = 'error'");
    const failed = await server.client().auth.signUp({ phone: typed, password: PASSWORD });
    expect(failed.error?.status).toBe(503);
    expect(failed.error?.message).toBe("Opérateur indisponible 📵");
    const { rows } = await server.database.query("select 1 from auth.users where phone = $1", [stored]);
    expect(rows).toHaveLength(0);
  });

  it("resends the sign-up code to a number not yet confirmed", async () => {
    const { typed, stored } = typedNumber();
    expect((await server.client().auth.signUp({ phone: typed, password: PASSWORD })).error).toBeNull();
    const first = await lastCode(stored);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await server.client().auth.resend({ phone: typed, type: "sms" })).error).toBeNull();
    const second = await lastCode(stored);
    expect(second.event).not.toEqual(first.event);
    expect(
      (await server.client().auth.verifyOtp({ phone: typed, token: first.otp, type: "sms" })).error?.code,
    ).toBe(first.otp === second.otp ? undefined : "otp_expired");
    expect(
      (await server.client().auth.verifyOtp({ phone: typed, token: second.otp, type: "sms" })).error,
    ).toBeNull();
  });
});

describe("auth: phone changes (updateUser({ phone }))", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      extraToml: [
        "[auth.sms]",
        "enable_signup = true",
        "enable_confirmations = true",
        'max_frequency = "1s"',
        "[auth.hook.send_sms]",
        "enabled = true",
        'uri = "pg-functions://postgres/public/deliver_sms"',
      ].join("\n"),
    });
    await server.database.query(HOOK_SQL);
  });
  afterAll(async () => {
    await server.close();
  });

  async function codeFor(phone: string): Promise<string> {
    const { rows } = await server.database.query<{ otp: string }>(
      "select event -> 'sms' ->> 'otp' as otp from public.sms_queue where event -> 'sms' ->> 'phone' = $1 order by id desc limit 1",
      [phone],
    );
    expect(rows).toHaveLength(1);
    return rows[0]?.otp ?? "";
  }

  it("sends a code to the new number; verifyOtp(phone_change) applies it, and resend sends it again", async () => {
    const client = server.client();
    const signedUp = await client.auth.signUp({
      email: `phone.change.${Date.now()}@example.com`,
      password: PASSWORD,
      options: { data: { name: "Łukasz 📞" } },
    });
    expect(signedUp.error).toBeNull();
    const { typed, stored } = typedNumber();

    const updated = await client.auth.updateUser({ phone: typed });
    expect(updated.error).toBeNull();
    expect(updated.data.user?.phone).toBe("");
    expect(updated.data.user?.new_phone).toBe(stored);
    const first = await codeFor(stored);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await server.client().auth.resend({ type: "phone_change", phone: typed })).error).toBeNull();
    const second = await codeFor(stored);

    const verified = await client.auth.verifyOtp({ phone: typed, token: second, type: "phone_change" });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.phone).toBe(stored);
    expect(verified.data.user?.phone_confirmed_at).toEqual(expect.any(String));
    expect(verified.data.user?.identities?.map((identity) => identity.provider).sort()).toEqual([
      "email",
      "phone",
    ]);
    expect(verified.data.user?.app_metadata.providers).toEqual(["email", "phone"]);
    if (first !== second) {
      const stale = await server
        .client()
        .auth.verifyOtp({ phone: typed, token: first, type: "phone_change" });
      expect(stale.error?.code).toBe("otp_expired");
    }

    // The number is now taken.
    const other = server.client();
    expect(
      (await other.auth.signUp({ email: `phone.taken.${Date.now()}@example.com`, password: PASSWORD })).error,
    ).toBeNull();
    const taken = await other.auth.updateUser({ phone: typed });
    expect(taken.error?.code).toBe("phone_exists");
  });
});

describe("auth: phone sign-in without SMS delivery", () => {
  it("answers 422 sms_send_failed for a number that is not a test number", async () => {
    const server = await startAuthServer({ extraToml: "[auth.sms]\nenable_signup = true" });
    try {
      const response = await api(server, "POST", "/otp", { body: { phone: "+15550100777" } });
      expect(response.status).toBe(422);
      expect(response.body.code).toBe("sms_send_failed");
      const settings = await api(server, "GET", "/settings");
      expect(settings.body.external.phone).toBe(true);
    } finally {
      await server.close();
    }
  });
});
