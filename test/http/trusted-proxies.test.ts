import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startAuthServer, uniqueEmail } from "../auth/helpers.js";
import type { TestServer } from "../harness/server.js";

/** Three sign-ins per 5 minutes per client address, as seen by the server. */
const LIMITS = { sign_in_sign_ups: 3 };

const signIn = (server: TestServer, forwardedFor: string) =>
  api(server, "POST", "/token?grant_type=password", {
    body: { email: uniqueEmail("proxy"), password: "wrong-Pässwort" },
    headers: { "x-forwarded-for": forwardedFor },
  });

/** What the data API puts in request.headers' x-forwarded-for (the audit log's client_ip is its first address). */
async function clientAddress(server: TestServer, forwardedFor: string): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(`${server.url}/rest/v1/rpc/client_address`, {
      headers: { apikey: server.anonKey, "x-forwarded-for": forwardedFor },
    });
    if (response.status === 200) return (await response.json()) as string;
    if (attempt > 50) throw new Error(`client_address: ${response.status} ${await response.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the schema cache reloads
  }
}

async function addClientAddressFunction(server: TestServer): Promise<void> {
  await server.database.query(`
    create function public.client_address() returns text language sql stable as
      $$ select current_setting('request.headers', true)::json->>'x-forwarded-for' $$;
    grant execute on function public.client_address() to anon;
    notify pgrst;`);
}

describe("X-Forwarded-For from a client that is not a trusted proxy (the default: none)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ rateLimit: LIMITS });
    await addClientAddressFunction(server);
  });
  afterAll(async () => {
    await server.close();
  });

  it("does not lift the per-address sign-in limit when rotated", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await signIn(server, `203.0.113.${i + 1}`)).status);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
  });

  it("is not what the database sees as the client address", async () => {
    expect(await clientAddress(server, "203.0.113.77")).toBe("127.0.0.1");
  });
});

describe("X-Forwarded-For from a proxy not in [api] trusted_proxies", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ rateLimit: LIMITS, trustedProxies: ["10.0.0.0/8", "fd00::/8"] });
    await addClientAddressFunction(server);
  });
  afterAll(async () => {
    await server.close();
  });

  it("is ignored", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await signIn(server, `198.51.100.${i + 1}`)).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect(await clientAddress(server, "198.51.100.9")).toBe("127.0.0.1");
  });
});

describe("X-Forwarded-For from a trusted proxy", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startAuthServer({ rateLimit: LIMITS, trustedProxies: ["127.0.0.0/8", "::1"] });
    await addClientAddressFunction(server);
  });
  afterAll(async () => {
    await server.close();
  });

  it("names the client: each address has its own sign-in limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await signIn(server, "192.0.2.10")).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect((await signIn(server, "192.0.2.11")).status).toBe(400);
  });

  it("is passed on as far as it comes through trusted proxies, client first", async () => {
    // 198.51.100.23 is not a trusted proxy: what it claims (6.6.6.6, perhaps spoofed) is not believed.
    expect(await clientAddress(server, "6.6.6.6, 198.51.100.23, 127.0.0.5")).toBe("198.51.100.23, 127.0.0.5");
    expect(await clientAddress(server, "6.6.6.6, 198.51.100.23")).toBe("198.51.100.23");
  });
});
