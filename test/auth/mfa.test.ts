import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import type { TestServer } from "../harness/server.js";
import { api, decodeJwt, startAuthServer, uniqueEmail } from "./helpers.js";

const PASSWORD = "mfa-pass-123";
let ipCounter = 10;

/** The current code of an authenticator app holding `secret`. */
function currentCode(secret: string): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
}

/** A code that is certainly wrong now (the current one with its first digit changed). */
function wrongCode(secret: string): string {
  const code = currentCode(secret);
  return `${(Number(code[0]) + 5) % 10}${code.slice(1)}`;
}

describe("auth: MFA (TOTP) through supabase-js", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Behind a proxy on loopback, each client names its own address, so rate limits and the
    // challenge's address binding are per client.
    server = await startAuthServer({ trustedProxies: ["127.0.0.0/8", "::1"] });
    await server.database.query(`
      create table public.vault (id int primary key, owner uuid not null default auth.uid(), secret text);
      alter table public.vault enable row level security;
      create policy "owners read" on public.vault for select to authenticated using (owner = auth.uid());
      create policy "owners write" on public.vault for insert to authenticated with check (owner = auth.uid());
      create policy "aal2 only" on public.vault as restrictive to authenticated
        using ((select auth.jwt()->>'aal') = 'aal2');
      grant select, insert on public.vault to authenticated;
      notify pgrst, 'reload schema';`);
  });
  afterAll(async () => {
    await server.close();
  });

  /** A supabase-js client that reaches the server as its own client address. */
  function clientAt(ip = `10.9.0.${ipCounter++}`): SupabaseClient {
    return createClient(server.url, server.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: { headers: { "x-forwarded-for": ip } },
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
  }

  async function signedUp(): Promise<{ client: SupabaseClient; email: string }> {
    const email = uniqueEmail("mfa");
    const client = clientAt();
    const { error } = await client.auth.signUp({ email, password: PASSWORD });
    expect(error).toBeNull();
    return { client, email };
  }

  /** A user with a verified TOTP factor, on a client now at aal2. */
  async function enrolled(): Promise<{
    client: SupabaseClient;
    email: string;
    factorId: string;
    secret: string;
  }> {
    const { client, email } = await signedUp();
    const { data, error } = await client.auth.mfa.enroll({
      factorType: "totp",
      friendlyName: "📱 電話 Téléphone",
    });
    expect(error).toBeNull();
    const factorId = data?.id as string;
    const secret = data?.totp.secret as string;
    const verified = await client.auth.mfa.challengeAndVerify({ factorId, code: currentCode(secret) });
    expect(verified.error).toBeNull();
    return { client, email, factorId, secret };
  }

  it("enrols a TOTP factor: QR code, secret and otpauth URI, unverified until its first code", async () => {
    const { client, email } = await signedUp();
    const { data, error } = await client.auth.mfa.enroll({
      factorType: "totp",
      friendlyName: "📱 電話 Téléphone",
      issuer: "Groundwork Tests",
    });
    expect(error).toBeNull();
    expect(data?.type).toBe("totp");
    expect(data?.friendly_name).toBe("📱 電話 Téléphone");
    expect(data?.totp.qr_code.startsWith("data:image/svg+xml;utf-8,<svg")).toBe(true);
    expect(data?.totp.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(data?.totp.uri as string);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("issuer")).toBe("Groundwork Tests");
    expect(decodeURIComponent(uri.pathname)).toContain(email);
    const factors = await client.auth.mfa.listFactors();
    expect(factors.data?.all.map((factor) => [factor.id, factor.status])).toEqual([[data?.id, "unverified"]]);
    expect(factors.data?.totp).toEqual([]);
    const level = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(level.data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal1" });
  });

  it("challenge + verify raise the session to aal2 with a totp amr entry; a refresh keeps it", async () => {
    const { client, factorId } = await enrolled();
    const { data: session } = await client.auth.getSession();
    const claims = decodeJwt(session.session?.access_token as string);
    expect(claims.aal).toBe("aal2");
    expect((claims.amr as { method: string }[]).map((entry) => entry.method)).toEqual(["totp", "password"]);
    const level = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(level.data?.currentLevel).toBe("aal2");
    expect(level.data?.nextLevel).toBe("aal2");
    const factors = await client.auth.mfa.listFactors();
    expect(factors.data?.totp.map((factor) => [factor.id, factor.status, factor.friendly_name])).toEqual([
      [factorId, "verified", "📱 電話 Téléphone"],
    ]);
    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(decodeJwt(refreshed.data.session?.access_token as string).aal).toBe("aal2");
  });

  it("a policy on (auth.jwt()->>'aal') = 'aal2' lets the aal2 session through the data API and not aal1", async () => {
    const { client, email, secret, factorId } = await enrolled();
    const inserted = await client.from("vault").insert({ id: 1, secret: "🔐 鍵" });
    expect(inserted.error).toBeNull();
    expect((await client.from("vault").select("secret")).data).toEqual([{ secret: "🔐 鍵" }]);

    const other = clientAt();
    await other.auth.signInWithPassword({ email, password: PASSWORD });
    const level = await other.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(level.data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal2" });
    expect((await other.from("vault").select("secret")).data).toEqual([]);
    const refused = await other.from("vault").insert({ id: 2, secret: "no" });
    expect(refused.error?.code).toBe("42501");

    const stepUp = await other.auth.mfa.challengeAndVerify({ factorId, code: currentCode(secret) });
    expect(stepUp.error).toBeNull();
    expect((await other.from("vault").select("secret")).data).toEqual([{ secret: "🔐 鍵" }]);
  });

  it("refuses a wrong code, a reused challenge and one answered from another address", async () => {
    const { client, email, factorId, secret } = await enrolled();
    const signIn = clientAt();
    await signIn.auth.signInWithPassword({ email, password: PASSWORD });
    const challenge = await signIn.auth.mfa.challenge({ factorId });
    expect(challenge.error).toBeNull();
    expect(challenge.data?.expires_at).toBeGreaterThan(Date.now() / 1000 + 200);
    const challengeId = challenge.data?.id as string;
    const wrong = await signIn.auth.mfa.verify({ factorId, challengeId, code: wrongCode(secret) });
    expect(wrong.error?.code).toBe("mfa_verification_failed");
    expect(wrong.error?.status).toBe(422);

    const { data } = await signIn.auth.getSession();
    const token = data.session?.access_token as string;
    const elsewhere = await api(server, "POST", `/factors/${factorId}/verify`, {
      token,
      headers: { "x-forwarded-for": "10.200.0.1" },
      body: { challenge_id: challengeId, code: currentCode(secret) },
    });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.code).toBe("mfa_ip_address_mismatch");

    expect(
      (await signIn.auth.mfa.verify({ factorId, challengeId, code: currentCode(secret) })).error,
    ).toBeNull();
    const again = await signIn.auth.mfa.verify({ factorId, challengeId, code: currentCode(secret) });
    expect(again.error?.code).toBe("mfa_ip_address_mismatch");
    // The first client's session is aal2 as well and was kept; aal1 sessions of the user were ended.
    expect((await client.auth.getUser()).error).toBeNull();
  });

  it("guards factors by assurance level: adding or removing a verified one needs aal2", async () => {
    const { client, email, factorId } = await enrolled();
    const weak = clientAt();
    await weak.auth.signInWithPassword({ email, password: PASSWORD });
    const add = await weak.auth.mfa.enroll({ factorType: "totp", friendlyName: "second" });
    expect(add.error?.code).toBe("insufficient_aal");
    expect(add.error?.status).toBe(403);
    const remove = await weak.auth.mfa.unenroll({ factorId });
    expect(remove.error?.code).toBe("insufficient_aal");
    expect(remove.error?.status).toBe(422);

    const removed = await client.auth.mfa.unenroll({ factorId });
    expect(removed.error).toBeNull();
    expect(removed.data).toEqual({ id: factorId });
    expect((await client.auth.mfa.listFactors()).data?.all).toEqual([]);
    // The session falls back to aal1 on its next token.
    const refreshed = await client.auth.refreshSession();
    expect(decodeJwt(refreshed.data.session?.access_token as string).aal).toBe("aal1");
  });

  it("admin.mfa lists a user's factors and deletes one, ending the aal2 level it gave", async () => {
    const { client, factorId } = await enrolled();
    const admin = server.client(server.serviceRoleKey).auth.admin;
    const userId = (await client.auth.getUser()).data.user?.id as string;
    const listed = await admin.mfa.listFactors({ userId });
    expect(listed.error).toBeNull();
    expect(listed.data?.factors.map((factor) => [factor.id, factor.status, factor.factor_type])).toEqual([
      [factorId, "verified", "totp"],
    ]);
    const deleted = await admin.mfa.deleteFactor({ userId, id: factorId });
    expect(deleted.error).toBeNull();
    // auth-js wraps this answer once more ({ data: { data: factor } }); the factor itself comes back.
    expect(JSON.stringify(deleted.data)).toContain(factorId);
    expect((await admin.mfa.listFactors({ userId })).data?.factors).toEqual([]);
    const refreshed = await client.auth.refreshSession();
    expect(decodeJwt(refreshed.data.session?.access_token as string).aal).toBe("aal1");
    const again = await admin.mfa.deleteFactor({ userId, id: factorId });
    expect(again.error?.status).toBe(404);
    const notAdmin = await api(server, "GET", `/admin/users/${userId}/factors`, {
      token: (await client.auth.getSession()).data.session?.access_token as string,
    });
    expect(notAdmin.status).toBe(403);
  });

  it("answers bad input in GoTrue's shapes: unknown factors, types, names and bodies", async () => {
    const { client } = await signedUp();
    const { data } = await client.auth.getSession();
    const token = data.session?.access_token as string;
    const first = await client.auth.mfa.enroll({ factorType: "totp", friendlyName: "same" });
    expect(first.error).toBeNull();
    const duplicate = await client.auth.mfa.enroll({ factorType: "totp", friendlyName: "same" });
    expect(duplicate.error?.code).toBe("mfa_factor_name_conflict");
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/factors", { factor_type: "sms" }, 400, "validation_failed"],
      [
        "POST",
        "/factors",
        { factor_type: "phone", phone: "+15555550100" },
        422,
        "mfa_phone_enroll_not_enabled",
      ],
      ["POST", "/factors", { factor_type: 7 }, 400, "bad_json"],
      ["POST", "/factors/not-a-uuid/challenge", {}, 404, "validation_failed"],
      ["POST", `/factors/${crypto.randomUUID()}/challenge`, {}, 404, "mfa_factor_not_found"],
      ["DELETE", `/factors/${crypto.randomUUID()}`, undefined, 404, "mfa_factor_not_found"],
      ["POST", `/factors/${first.data?.id}/verify`, { challenge_id: "x", code: "1" }, 400, "bad_json"],
      [
        "POST",
        `/factors/${first.data?.id}/verify`,
        { challenge_id: crypto.randomUUID(), code: "" },
        400,
        "validation_failed",
      ],
      [
        "POST",
        `/factors/${first.data?.id}/verify`,
        { challenge_id: crypto.randomUUID(), code: "123456" },
        422,
        "mfa_factor_not_found",
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await api(server, method, path, {
        token,
        body,
        headers: { "x-forwarded-for": "10.8.0.1" },
      });
      expect([path, response.status, response.body.code]).toEqual([path, status, code]);
    }
    const anonymous = await api(server, "POST", "/factors", { body: { factor_type: "totp" } });
    expect(anonymous.status).toBe(403);
  });

  it("rate-limits verification: 15 a minute per client address, then 429 with Retry-After", async () => {
    const { client, email, factorId, secret } = await enrolled();
    void client;
    const attacker = clientAt("10.7.0.1");
    await attacker.auth.signInWithPassword({ email, password: PASSWORD });
    const challenge = await attacker.auth.mfa.challenge({ factorId });
    const challengeId = challenge.data?.id as string;
    const token = (await attacker.auth.getSession()).data.session?.access_token as string;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 17; attempt++) {
      const response = await api(server, "POST", `/factors/${factorId}/verify`, {
        token,
        headers: { "x-forwarded-for": "10.7.0.1" },
        body: { challenge_id: challengeId, code: wrongCode(secret) },
      });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after");
    }
    expect(statuses.slice(0, 14).every((status) => status === 422)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
