import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { startAuthServer, uniqueEmail } from "./helpers.js";

describe("auth: banning a user ends their sessions at once", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("GET /user answers session_not_found, refresh fails, sign-in answers user_banned; lifting the ban lets them in", async () => {
    const email = uniqueEmail("banned");
    const password = "ban-pass-123";
    const admin = server.client(server.serviceRoleKey);
    const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
    expect(created.error).toBeNull();
    const id = created.data.user?.id as string;

    const user = server.client();
    const signedIn = await user.auth.signInWithPassword({ email, password });
    expect(signedIn.error).toBeNull();
    const session = signedIn.data.session;
    if (!session) throw new Error("no session");

    const banned = await admin.auth.admin.updateUserById(id, { ban_duration: "24h" });
    expect(banned.error).toBeNull();

    const raw = await fetch(`${server.url}/auth/v1/user`, {
      headers: { apikey: server.anonKey, authorization: `Bearer ${session.access_token}` },
    });
    expect(raw.status).toBe(403);
    expect(await raw.json()).toMatchObject({ error_code: "session_not_found" });
    // auth-js turns session_not_found into its "session missing" error, as for a signed-out user.
    const me = await user.auth.getUser(session.access_token);
    expect(me.error?.name).toBe("AuthSessionMissingError");
    const refreshed = await server.client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refreshed.error).not.toBeNull();
    expect(refreshed.data.session).toBeNull();
    const again = await server.client().auth.signInWithPassword({ email, password });
    expect(again.error?.code).toBe("user_banned");

    const lifted = await admin.auth.admin.updateUserById(id, { ban_duration: "none" });
    expect(lifted.error).toBeNull();
    const back = await server.client().auth.signInWithPassword({ email, password });
    expect(back.error).toBeNull();
  });

  it("lifting a ban or changing metadata keeps the user's sessions", async () => {
    const email = uniqueEmail("kept");
    const password = "kept-pass-123";
    const admin = server.client(server.serviceRoleKey);
    const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
    const id = created.data.user?.id as string;
    const signedIn = await server.client().auth.signInWithPassword({ email, password });
    const token = signedIn.data.session?.access_token as string;
    await admin.auth.admin.updateUserById(id, { ban_duration: "none", user_metadata: { note: "Zoë 👋" } });
    const me = await server.client().auth.getUser(token);
    expect(me.error).toBeNull();
    expect(me.data.user?.user_metadata.note).toBe("Zoë 👋");
  });
});
