import net from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config/index.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

/** Every line the server logs, parsed. */
const lines: Record<string, unknown>[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
    done();
  },
});

let database: TestDatabase;
let db: Database;
let config: Config;
let app: Awaited<ReturnType<typeof buildServer>>;
let url: string;

beforeAll(async () => {
  database = await createTestDatabase("crm");
  config = await loadConfig(EXAMPLE_PROJECT, {
    DATABASE_URL: database.adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: database.apiUrl,
    GROUNDWORK_API_PORT: "0",
  });
  db = connectDatabase({ adminUrl: database.adminUrl, apiUrl: database.apiUrl, poolSize: 5 });
  app = await buildServer({ config, db, logLevel: "debug", logDestination: capture });
  url = await listen(app, config);
});
afterAll(async () => {
  await app.close();
  await db.close();
  await database.drop();
});

const LEVELS: Record<number, string> = { 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const ofRequest = (id: string) => lines.filter((line) => line.reqId === id);

describe("request logging", () => {
  it("writes one line per request", async () => {
    const response = await fetch(`${url}/rest/v1/products?select=id&name=eq.caf%C3%A9%20%E2%98%95`, {
      headers: { apikey: config.jwt.anonKey, "x-request-id": "log-one-line" },
    });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const logged = ofRequest("log-one-line");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 30,
      msg: "request",
      method: "GET",
      path: "/rest/v1/products?select=id&name=eq.caf%C3%A9%20%E2%98%95",
      status: 200,
      role: "anon",
    });
    expect(typeof logged[0]?.ms).toBe("number");
  });

  it("names the user and tenant of a signed-in request, and masks credentials in the path", async () => {
    const signIn = await fetch(`${url}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: {
        apikey: config.jwt.anonKey,
        "content-type": "application/json",
        "x-request-id": "log-sign-in",
      },
      body: JSON.stringify({ email: "admin@test.local", password: "TestPass123!" }),
    });
    const { access_token: token, user } = (await signIn.json()) as {
      access_token: string;
      user: { id: string };
    };
    await fetch(`${url}/rest/v1/contacts?select=id&limit=1`, {
      headers: {
        apikey: config.jwt.anonKey,
        authorization: `Bearer ${token}`,
        "x-request-id": "log-signed-in",
      },
    });
    await fetch(`${url}/auth/v1/verify?type=signup&token=sécret-123456&redirect_to=x`, {
      headers: { apikey: config.jwt.anonKey, "x-request-id": "log-verify" },
      redirect: "manual",
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [line] = ofRequest("log-signed-in");
    expect(line).toMatchObject({
      status: 200,
      role: "authenticated",
      user_id: user.id,
      tenant_id: "00000000-0000-4000-8000-00000000a001",
      path: "/rest/v1/contacts?select=id&limit=1",
    });
    expect(ofRequest("log-verify")[0]?.path).toBe("/auth/v1/verify?type=signup&token=****&redirect_to=x");
    const all = JSON.stringify(lines);
    expect(all).not.toContain(token);
    expect(all).not.toContain("TestPass123!");
    expect(all).not.toContain(config.jwt.anonKey);
    expect(all).not.toContain("123456");
  });

  it("logs a client that goes away mid-body at info or below, never as an error", async () => {
    const before = lines.length;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(new URL(url).port as unknown as number, "127.0.0.1", () => {
        socket.write(
          `POST /rest/v1/notes HTTP/1.1\r\nhost: x\r\napikey: ${config.jwt.anonKey}\r\n` +
            "x-request-id: log-aborted\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n" +
            '{"text": "half a bod',
          () => setTimeout(() => socket.destroy(), 100),
        );
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logged = lines.slice(before);
    expect(logged.filter((line) => (line.level as number) >= 40)).toEqual([]);
    const aborted = ofRequest("log-aborted").filter((line) => LEVELS[line.level as number] !== "debug");
    expect(aborted).toEqual([
      expect.objectContaining({
        level: 30,
        msg: "request",
        method: "POST",
        path: "/rest/v1/notes",
        aborted: true,
      }),
    ]);
  });
});
