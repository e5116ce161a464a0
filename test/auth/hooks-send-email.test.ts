import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { startAuthServer, uniqueEmail } from "./helpers.js";

/**
 * A send email hook as Supabase's guide writes one in SQL: it queues the event in a table (a
 * worker would send it) and runs as supabase_auth_admin with only the grants it needs.
 */
const HOOK_SQL = `
  create table public.email_queue (id bigserial primary key, event jsonb not null, ran_as text not null);
  create table public.email_hook_mode (mode text not null);
  insert into public.email_hook_mode values ('ok');

  create function public.queue_auth_email(event jsonb) returns jsonb
  language plpgsql as $$
  declare
    mode text := (select m.mode from public.email_hook_mode m);
  begin
    if mode = 'error' then
      return jsonb_build_object('error', jsonb_build_object('http_code', 429,
        'message', 'Quota d''envoi atteint — 送信上限 📮'));
    elsif mode = 'raise' then
      raise exception 'relay unreachable';
    end if;
    insert into public.email_queue (event, ran_as) values (event, current_user);
    return '{}'::jsonb;
  end
  $$;
  grant usage on schema public to supabase_auth_admin;
  grant execute on function public.queue_auth_email to supabase_auth_admin;
  revoke execute on function public.queue_auth_email from authenticated, anon, public;
  grant select, insert on public.email_queue to supabase_auth_admin;
  grant usage on sequence public.email_queue_id_seq to supabase_auth_admin;
  grant select on public.email_hook_mode to supabase_auth_admin;
`;

const PASSWORD = "hook-pass-123";
const NAME = "Zoë Ærøskøbing 山田 🚀";

interface QueuedEmail {
  readonly event: {
    readonly metadata: Record<string, unknown>;
    readonly user: Record<string, unknown> & { user_metadata: Record<string, unknown> };
    readonly email_data: Record<string, string>;
  };
  readonly ran_as: string;
}

describe("auth: send email hook", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({
      email: { enable_confirmations: true },
      extraToml:
        '[auth.hook.send_email]\nenabled = true\nuri = "pg-functions://postgres/public/queue_auth_email"',
    });
    await server.database.query(HOOK_SQL);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    await server.database.query("update public.email_hook_mode set mode = 'ok'");
  });

  /** The events the hook queued for a user's address (current or new), oldest first. */
  async function queued(email: string): Promise<QueuedEmail[]> {
    const { rows } = await server.database.query<QueuedEmail>(
      `select event, ran_as from public.email_queue
       where event -> 'user' ->> 'email' = $1 or event -> 'user' ->> 'new_email' = $1 order by id`,
      [email],
    );
    return rows;
  }

  async function lastQueued(email: string): Promise<QueuedEmail> {
    const rows = await queued(email);
    expect(rows.length).toBeGreaterThan(0);
    return rows[rows.length - 1] as QueuedEmail;
  }

  async function outboxCount(email: string): Promise<number> {
    const { rows } = await server.database.query<{ n: number }>(
      "select count(*)::int as n from groundwork.mail_outbox where to_address = $1",
      [email],
    );
    return rows[0]?.n ?? -1;
  }

  /** A confirmed user (signed up, confirmed through the hook's token hash) and their signed-in client. */
  async function confirmedUser(): Promise<{ email: string; client: SupabaseClient }> {
    const email = uniqueEmail("hooked");
    const client = server.client();
    expect((await client.auth.signUp({ email, password: PASSWORD })).error).toBeNull();
    const { email_data } = (await lastQueued(email)).event;
    const { error } = await client.auth.verifyOtp({
      token_hash: email_data.token_hash ?? "",
      type: "signup",
    });
    expect(error).toBeNull();
    return { email, client };
  }

  it("receives the sign-up confirmation instead of the mailer, as supabase_auth_admin, and its token hash confirms", async () => {
    const email = uniqueEmail("signup");
    const client = server.client();
    const { data, error } = await client.auth.signUp({
      email,
      password: PASSWORD,
      options: { data: { name: NAME }, emailRedirectTo: "https://app.example.com/welcome" },
    });
    expect(error).toBeNull();
    expect(data.session).toBeNull();

    const rows = await queued(email);
    expect(rows).toHaveLength(1);
    const { event, ran_as } = rows[0] as QueuedEmail;
    expect(ran_as).toBe("supabase_auth_admin");
    expect(event.metadata).toMatchObject({
      name: "send-email",
      uuid: expect.any(String),
      time: expect.any(String),
    });
    expect(event.user).toMatchObject({ id: data.user?.id, email, user_metadata: { name: NAME } });
    expect(event.email_data).toMatchObject({
      email_action_type: "signup",
      token: expect.stringMatching(/^\d{6}$/),
      token_hash: expect.stringMatching(/^[0-9a-f]{56}$/),
      redirect_to: "https://app.example.com/welcome",
      site_url: `${server.url}/auth/v1`,
      token_new: "",
      token_hash_new: "",
    });
    // Nothing went to the mailer: no message in the local outbox (the catcher's store).
    expect(await outboxCount(email)).toBe(0);

    const verified = await client.auth.verifyOtp({
      token_hash: event.email_data.token_hash ?? "",
      type: "signup",
    });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.email).toBe(email);
    expect(verified.data.user?.user_metadata.name).toBe(NAME);
  });

  it("receives magic links and recovery messages whose codes sign in", async () => {
    const { email } = await confirmedUser();
    const client = server.client();

    expect((await client.auth.signInWithOtp({ email })).error).toBeNull();
    const magic = (await lastQueued(email)).event.email_data;
    expect(magic.email_action_type).toBe("magiclink");
    const signedIn = await client.auth.verifyOtp({ email, token: magic.token ?? "", type: "email" });
    expect(signedIn.error).toBeNull();
    expect(signedIn.data.session?.access_token).toBeTruthy();

    await new Promise((resolve) => setTimeout(resolve, 1100)); // [auth.email] max_frequency = 1s
    expect((await client.auth.resetPasswordForEmail(email)).error).toBeNull();
    const recovery = (await lastQueued(email)).event.email_data;
    expect(recovery.email_action_type).toBe("recovery");
    expect(recovery.token_hash).not.toBe(magic.token_hash);
    const recovered = await client.auth.verifyOtp({
      token_hash: recovery.token_hash ?? "",
      type: "recovery",
    });
    expect(recovered.error).toBeNull();
    expect(await outboxCount(email)).toBe(0);
  });

  it("receives an email change as one event with both codes (GoTrue's pairing), and both codes confirm it", async () => {
    const { email, client } = await confirmedUser();
    const newEmail = uniqueEmail("changed");
    const before = (await queued(email)).length;
    expect((await client.auth.updateUser({ email: newEmail })).error).toBeNull();

    const rows = await queued(newEmail);
    expect(rows).toHaveLength(1);
    expect((await queued(email)).length).toBe(before + 1); // the same single event
    const { user, email_data } = (rows[0] as QueuedEmail).event;
    expect(user).toMatchObject({ email, new_email: newEmail });
    expect(email_data).toMatchObject({
      email_action_type: "email_change",
      token: expect.stringMatching(/^\d{6}$/),
      token_new: expect.stringMatching(/^\d{6}$/),
      token_hash: expect.stringMatching(/^[0-9a-f]{56}$/),
      token_hash_new: expect.stringMatching(/^[0-9a-f]{56}$/),
    });
    // `token` is the current address's code, `token_new` the new one's.
    const first = await client.auth.verifyOtp({ email, token: email_data.token ?? "", type: "email_change" });
    expect(first.error).toBeNull();
    const second = await client.auth.verifyOtp({
      email: newEmail,
      token: email_data.token_new ?? "",
      type: "email_change",
    });
    expect(second.error).toBeNull();
    expect(second.data.user?.email).toBe(newEmail);
    expect(await outboxCount(newEmail)).toBe(0);
  });

  it("receives invites and reauthentication codes; generateLink sends nothing", async () => {
    const admin = server.client(server.serviceRoleKey);
    const invited = uniqueEmail("invited");
    const { error } = await admin.auth.admin.inviteUserByEmail(invited, { data: { team: "Équipe 東京" } });
    expect(error).toBeNull();
    const invite = (await lastQueued(invited)).event;
    expect(invite.email_data.email_action_type).toBe("invite");
    expect(invite.user.user_metadata).toEqual({ team: "Équipe 東京" });

    const linked = await admin.auth.admin.generateLink({ type: "magiclink", email: invited });
    expect(linked.error).toBeNull();
    expect(await queued(invited)).toHaveLength(1);

    const { email, client } = await confirmedUser();
    expect((await client.auth.reauthenticate()).error).toBeNull();
    const reauth = (await lastQueued(email)).event.email_data;
    expect(reauth).toMatchObject({
      email_action_type: "reauthentication",
      token: expect.stringMatching(/^\d{6}$/),
    });
    const updated = await client.auth.updateUser({ password: "hook-pass-456", nonce: reauth.token ?? "" });
    expect(updated.error).toBeNull();
  });

  it("answers the hook's error object with its status and message, and creates no user", async () => {
    await server.database.query("update public.email_hook_mode set mode = 'error'");
    const email = uniqueEmail("refused");
    const { error } = await server.client().auth.signUp({ email, password: PASSWORD });
    expect(error?.status).toBe(429);
    expect(error?.message).toBe("Quota d'envoi atteint — 送信上限 📮");
    const { rows } = await server.database.query("select 1 from auth.users where email = $1", [email]);
    expect(rows).toHaveLength(0);
  });

  it("answers a failing hook function with 500 naming the hook, and rolls the sign-up back", async () => {
    await server.database.query("update public.email_hook_mode set mode = 'raise'");
    const email = uniqueEmail("failed");
    const { error } = await server.client().auth.signUp({ email, password: PASSWORD });
    expect(error?.status).toBe(500);
    expect(error?.message).toBe("Error running hook URI: pg-functions://postgres/public/queue_auth_email");
    const { rows } = await server.database.query("select 1 from auth.users where email = $1", [email]);
    expect(rows).toHaveLength(0);
    expect(await outboxCount(email)).toBe(0);
  });
});
