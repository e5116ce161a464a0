import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { decodeJwt, startAuthServer, uniqueEmail } from "./helpers.js";

/** The send SMS hook delivers MFA codes too: here it queues them, as a worker's inbox. */
const HOOK_SQL = `
  create table public.mfa_sms (id bigserial primary key, event jsonb not null);
  create table public.mfa_sms_mode (mode text not null);
  insert into public.mfa_sms_mode values ('ok');
  create function public.deliver_mfa_sms(event jsonb) returns jsonb
  language plpgsql as $$
  begin
    if (select m.mode from public.mfa_sms_mode m) = 'error' then
      return jsonb_build_object('error', jsonb_build_object('http_code', 429, 'message', 'Trop de SMS 📵 稍后再试'));
    end if;
    insert into public.mfa_sms (event) values (event);
    return '{}'::jsonb;
  end
  $$;
  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.deliver_mfa_sms to supabase_auth_admin;
  revoke execute on function public.deliver_mfa_sms from authenticated, anon, public;
  grant insert on public.mfa_sms to supabase_auth_admin;
  grant usage on sequence public.mfa_sms_id_seq to supabase_auth_admin;
  grant select on public.mfa_sms_mode to supabase_auth_admin;
`;

const PASSWORD = "mfa-phone-123";
let numbers = 0;

function phoneNumber(): string {
  numbers += 1;
  return `3361${`${Date.now() % 100_000}`.padStart(5, "0")}${String(numbers).padStart(2, "0")}`;
}

describe("auth: phone MFA through supabase-js, codes delivered by the send SMS hook", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      extraToml: [
        "[auth.mfa.phone]",
        "enroll_enabled = true",
        "verify_enabled = true",
        'max_frequency = "2s"',
        "[auth.hook.send_sms]",
        "enabled = true",
        'uri = "pg-functions://postgres/public/deliver_mfa_sms"',
      ].join("\n"),
    });
    await server.database.query(HOOK_SQL);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    await server.database.query("update public.mfa_sms_mode set mode = 'ok'");
  });

  async function signedUp(): Promise<SupabaseClient> {
    const client = server.client();
    const { error } = await client.auth.signUp({ email: uniqueEmail("mfa-phone"), password: PASSWORD });
    expect(error).toBeNull();
    return client;
  }

  async function lastCode(phone: string): Promise<{ otp: string; event: Record<string, unknown> }> {
    const { rows } = await server.database.query<{
      event: { sms: { otp: string } } & Record<string, unknown>;
    }>("select event from public.mfa_sms where event -> 'sms' ->> 'phone' = $1 order by id desc limit 1", [
      phone,
    ]);
    expect(rows).toHaveLength(1);
    const event = rows[0]?.event as { sms: { otp: string } } & Record<string, unknown>;
    return { otp: event.sms.otp, event };
  }

  it("enrols a phone, sends the code through the hook, and raises the session to aal2 (amr mfa/phone)", async () => {
    const client = await signedUp();
    const phone = phoneNumber();
    const enrolled = await client.auth.mfa.enroll({
      factorType: "phone",
      phone: `+${phone}`,
      friendlyName: "Téléphone 📱 携帯",
    });
    expect(enrolled.error).toBeNull();
    expect(enrolled.data).toMatchObject({
      type: "phone",
      friendly_name: "Téléphone 📱 携帯",
      phone: `+${phone}`,
    });
    const factorId = enrolled.data?.id ?? "";

    const challenge = await client.auth.mfa.challenge({ factorId });
    expect(challenge.error).toBeNull();
    const { otp, event } = await lastCode(phone);
    expect(otp).toMatch(/^\d{6}$/);
    expect(event).toMatchObject({ metadata: { name: "send-sms" }, sms: { phone, sms_type: "mfa" } });

    const wrong = await client.auth.mfa.verify({
      factorId,
      challengeId: challenge.data?.id ?? "",
      code: otp === "000000" ? "111111" : "000000",
    });
    expect(wrong.error?.code).toBe("mfa_verification_failed");
    expect(wrong.error?.message).toBe("Invalid MFA Phone code entered");

    const verified = await client.auth.mfa.verify({
      factorId,
      challengeId: challenge.data?.id ?? "",
      code: otp,
    });
    expect(verified.error).toBeNull();
    const claims = decodeJwt(verified.data?.access_token ?? "");
    expect(claims.aal).toBe("aal2");
    expect((claims.amr as { method: string }[]).map((entry) => entry.method)).toContain("mfa/phone");

    const factors = await client.auth.mfa.listFactors();
    expect(factors.data?.phone.map((factor) => [factor.id, factor.status])).toEqual([[factorId, "verified"]]);
    const level = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(level.data?.currentLevel).toBe("aal2");

    // The same number cannot be enrolled twice once verified.
    const again = await client.auth.mfa.enroll({ factorType: "phone", phone });
    expect(again.error?.code).toBe("mfa_verified_factor_exists");
  });

  it("spaces challenges by max_frequency, and a hook error leaves no challenge behind", async () => {
    const client = await signedUp();
    const phone = phoneNumber();
    const enrolled = await client.auth.mfa.enroll({ factorType: "phone", phone });
    const factorId = enrolled.data?.id ?? "";
    expect((await client.auth.mfa.challenge({ factorId })).error).toBeNull();
    const tooSoon = await client.auth.mfa.challenge({ factorId });
    expect(tooSoon.error?.status).toBe(429);
    expect(tooSoon.error?.code).toBe("over_sms_send_rate_limit");

    await new Promise((resolve) => setTimeout(resolve, 2100));
    await server.database.query("update public.mfa_sms_mode set mode = 'error'");
    const before = await server.database.query(
      "select count(*)::int as n from auth.mfa_challenges where factor_id = $1",
      [factorId],
    );
    const failed = await client.auth.mfa.challenge({ factorId });
    expect(failed.error?.status).toBe(429);
    expect(failed.error?.message).toBe("Trop de SMS 📵 稍后再试");
    const after = await server.database.query(
      "select count(*)::int as n from auth.mfa_challenges where factor_id = $1",
      [factorId],
    );
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("refuses an enrolment without a valid number", async () => {
    const client = await signedUp();
    const missing = await client.auth.mfa.enroll({ factorType: "phone", phone: "" });
    expect(missing.error?.message).toBe("Phone number required to enroll Phone factor");
    const invalid = await client.auth.mfa.enroll({ factorType: "phone", phone: "+0 ☎ 12" });
    expect(invalid.error?.message).toBe("Invalid phone number format (E.164 required)");
  });
});

describe("auth: phone MFA off (the Supabase CLI's default)", () => {
  it("answers 422 mfa_phone_enroll_not_enabled", async () => {
    const server = await startAuthServer();
    try {
      const client = server.client();
      expect(
        (await client.auth.signUp({ email: uniqueEmail("no-phone-mfa"), password: PASSWORD })).error,
      ).toBeNull();
      const { error } = await client.auth.mfa.enroll({ factorType: "phone", phone: "+33612345678" });
      expect(error?.code).toBe("mfa_phone_enroll_not_enabled");
    } finally {
      await server.close();
    }
  });
});
