import type { WebSocketLikeConstructor } from "@supabase/realtime-js";
import { createClient } from "@supabase/supabase-js";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { WELL_KNOWN_PUBLISHABLE_KEY } from "../../src/config/jwt-keys.js";
import { startMailCatcher } from "../../src/http/mail-server.js";
import { startAuthServer, uniqueEmail } from "../auth/helpers.js";
import type { TestServer } from "../harness/server.js";

const CALLBACK = "http://127.0.0.1:3000/auth/callback";

/** What an end-to-end test written for `supabase start` does with Mailpit's API. */
async function linkFromMailpit(mailUrl: string, email: string): Promise<string> {
  const search = await fetch(`${mailUrl}/api/v1/search?query=${encodeURIComponent(`to:${email}`)}`);
  const { messages } = (await search.json()) as { messages: { ID: string }[] };
  expect(messages).toHaveLength(1);
  const message = (await (await fetch(`${mailUrl}/api/v1/message/${messages[0]?.ID}`)).json()) as {
    HTML: string;
  };
  const href = /href="([^"]+)"/.exec(message.HTML)?.[1] ?? "";
  return href.replaceAll("&amp;", "&");
}

describe("the local mail catcher (Mailpit's API on [inbucket] port)", () => {
  let server: TestServer & { dir: string };
  let mail: { url: string; app: FastifyInstance };

  beforeAll(async () => {
    server = await startAuthServer({
      auth: { additional_redirect_urls: ["http://127.0.0.1:3000/**"] },
      email: { enable_confirmations: true },
    });
    mail = await startMailCatcher(
      { ...server.config, mail: { ...server.config.mail, catcherPort: 0 } },
      server.db,
    );
  });
  afterAll(async () => {
    await mail.app.close();
    await server.close();
  });

  it("PKCE sign-up -> confirmation link read from Mailpit's API -> exchangeCodeForSession", async () => {
    const client = createClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY, {
      auth: { flowType: "pkce", persistSession: false, autoRefreshToken: false },
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
    const email = uniqueEmail("mailpit");
    expect(
      (await client.auth.signUp({ email, password: "pw-123456", options: { emailRedirectTo: CALLBACK } }))
        .error,
    ).toBeNull();
    const link = await linkFromMailpit(mail.url, email);
    expect(link).toContain("/auth/v1/verify?token=pkce_");
    const redirected = await fetch(link, { redirect: "manual" });
    const code = new URL(redirected.headers.get("location") as string).searchParams.get("code") as string;
    const { data, error } = await client.auth.exchangeCodeForSession(code);
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
  });

  it("lists newest first, gets a message (or latest) and marks it read, searches, deletes", async () => {
    const email = uniqueEmail("list");
    const client = createClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY, {
      auth: { persistSession: false },
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
    await client.auth.signUp({ email, password: "pw-123456", options: { data: { name: "Zoë" } } });
    const list = (await (await fetch(`${mail.url}/api/v1/messages?limit=1`)).json()) as Record<
      string,
      unknown
    > & {
      messages: Record<string, unknown>[];
    };
    expect(list).toMatchObject({ start: 0, count: 1, tags: [] });
    expect(list.total as number).toBeGreaterThanOrEqual(2);
    const summary = list.messages[0] as Record<string, unknown>;
    expect(summary).toMatchObject({
      Read: false,
      From: { Name: "Admin", Address: "admin@email.com" },
      To: [{ Name: "", Address: email }],
      Subject: "Confirm Your Email",
      Attachments: 0,
    });
    expect(summary.Snippet).toContain("Code:");
    const latest = (await (await fetch(`${mail.url}/api/v1/message/latest`)).json()) as Record<
      string,
      unknown
    >;
    expect(latest.ID).toBe(summary.ID);
    expect(latest.Text).toMatch(/Code: \d{6}/);
    const unread = (await (await fetch(`${mail.url}/api/v1/search?query=is:unread`)).json()) as {
      messages: { ID: string }[];
    };
    expect(unread.messages.map((m) => m.ID)).not.toContain(summary.ID);

    const page = await fetch(`${mail.url}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain(email);
    const view = await fetch(`${mail.url}/view/${summary.ID}.html`);
    expect(view.headers.get("content-security-policy")).toContain("default-src 'none'");

    const deleted = await fetch(`${mail.url}/api/v1/messages`, {
      method: "DELETE",
      body: JSON.stringify({ IDs: [summary.ID] }),
      headers: { "content-type": "application/json" },
    });
    expect(await deleted.text()).toBe("ok");
    expect((await fetch(`${mail.url}/api/v1/message/${summary.ID}`)).status).toBe(404);
    await fetch(`${mail.url}/api/v1/search?query=${encodeURIComponent(`to:${email}`)}`, { method: "DELETE" });
  });

  it("answers Mailpit's errors for bad input, never a 5xx", async () => {
    expect((await fetch(`${mail.url}/api/v1/search`)).status).toBe(400);
    expect((await fetch(`${mail.url}/api/v1/message/not-an-id`)).status).toBe(404);
    expect((await fetch(`${mail.url}/api/v1/message/99999999999999999999999`)).status).toBe(404);
    for (const body of ["{", "[]", '{"IDs":"x"}', "\u0000", '{"IDs":["1\'; drop table x"]}']) {
      const response = await fetch(`${mail.url}/api/v1/messages`, { method: "PUT", body });
      expect(response.status, body).toBeLessThan(500);
    }
    const weird = await fetch(
      `${mail.url}/api/v1/search?query=${encodeURIComponent('to:"%_\\ 東京 🚀 -is:read')}&start=-1&limit=abc`,
    );
    expect(weird.status).toBe(200);
  });
});
