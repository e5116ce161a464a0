import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { tempProject } from "../harness/project.js";
import type { TestServer } from "../harness/server.js";
import { decodeJwt, startAuthServer, uniqueEmail } from "./helpers.js";

const PASSWORD = "session-pass-1";

describe("auth: [auth.sessions] timebox, inactivity_timeout and single_per_user", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      extraToml: '[auth.sessions]\ntimebox = "24h"\ninactivity_timeout = "8h"\nsingle_per_user = true',
    });
  });
  afterAll(async () => {
    await server.close();
  });

  async function signedIn(
    email = uniqueEmail("session"),
  ): Promise<{ client: SupabaseClient; sessionId: string }> {
    const client = server.client();
    const signUp = await client.auth.signUp({ email, password: PASSWORD });
    expect(signUp.error).toBeNull();
    const token = signUp.data.session?.access_token as string;
    return { client, sessionId: decodeJwt(token).session_id as string };
  }

  /** Moves a session's clock back, as if it had started (and been refreshed) that long ago. */
  async function age(sessionId: string, created: string, refreshed: string | null): Promise<void> {
    await server.database.query(
      `update auth.sessions set created_at = now() - $2::interval,
         refreshed_at = case when $3::interval is null then null else timezone('utc', now() - $3::interval) end
       where id = $1`,
      [sessionId, created, refreshed],
    );
    await server.database.query(
      "update auth.refresh_tokens set created_at = now() - $2::interval, updated_at = now() - $2::interval where session_id = $1",
      [sessionId, refreshed ?? created],
    );
  }

  it("refreshes a session inside its limits", async () => {
    const { client, sessionId } = await signedIn();
    await age(sessionId, "23 hours", "7 hours");
    const { data, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    expect(decodeJwt(data.session?.access_token as string).session_id).toBe(sessionId);
  });

  it("ends a session older than the timebox, however recently it was used", async () => {
    const { client, sessionId } = await signedIn();
    await age(sessionId, "25 hours", "1 minute");
    const { error } = await client.auth.refreshSession();
    expect(error?.code).toBe("session_expired");
    expect(error?.status).toBe(400);
    expect(error?.message).toBe("Invalid Refresh Token: Session Expired");
  });

  it("ends a session not refreshed for longer than inactivity_timeout", async () => {
    const { client, sessionId } = await signedIn();
    await age(sessionId, "9 hours", null);
    const { error } = await client.auth.refreshSession();
    expect(error?.code).toBe("session_expired");
    expect(error?.message).toBe("Invalid Refresh Token: Session Expired (Inactivity)");
  });

  it("with single_per_user, a newer sign-in ends the older session at its next refresh", async () => {
    const email = uniqueEmail("single");
    const first = await signedIn(email);
    const second = server.client();
    expect((await second.auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();
    const refused = await first.client.auth.refreshSession();
    expect(refused.error?.code).toBe("session_expired");
    expect(refused.error?.message).toBe("Invalid Refresh Token: Session Expired (Revoked by Newer Login)");
    const kept = await second.auth.refreshSession();
    expect(kept.error).toBeNull();
    // Another user's sessions are not affected.
    const other = await signedIn();
    expect((await other.client.auth.refreshSession()).error).toBeNull();
  });
});

describe("config: [auth.sessions] and [auth.mfa]", () => {
  it("reads Go durations and the MFA switches, and names a malformed duration's key", async () => {
    const good = tempProject({
      configToml:
        '[auth.sessions]\ntimebox = "1h30m"\ninactivity_timeout = "45m"\n[auth.mfa]\nmax_enrolled_factors = 3\n[auth.mfa.totp]\nenroll_enabled = false\nverify_enabled = true\n[auth.mfa.phone]\nenroll_enabled = true\nmax_frequency = "1m"\n',
    });
    try {
      const config = await loadConfig(good.dir, {});
      expect(config.auth.sessions).toEqual({ timebox: 5400, inactivityTimeout: 2700, singlePerUser: false });
      expect(config.auth.mfa).toEqual({
        maxEnrolledFactors: 3,
        totp: { enrollEnabled: false, verifyEnabled: true },
        phone: { enrollEnabled: true, verifyEnabled: false, otpLength: 6, maxFrequency: 60 },
      });
    } finally {
      good.remove();
    }
    const bad = tempProject({ configToml: '[auth.sessions]\ntimebox = "forever"\n' });
    try {
      await expect(loadConfig(bad.dir, {})).rejects.toThrow(/auth\.sessions\.timebox: expected a duration/);
    } finally {
      bad.remove();
    }
  });
});
