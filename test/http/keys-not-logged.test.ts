import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../src/config/index.js";
import { WELL_KNOWN_PUBLISHABLE_KEY, WELL_KNOWN_SECRET_KEY } from "../../src/config/jwt-keys.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

/** Everything the server logs, as written. */
let written = "";
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    written += chunk.toString("utf8");
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
  app = await buildServer({ config, db, logLevel: "trace", logDestination: capture });
  url = await listen(app, config);
});
afterAll(async () => {
  await app.close();
  await db.close();
  await database.drop();
});

describe("keys, codes and verifiers never reach the log", () => {
  it("at the most verbose level, for accepted and refused keys in headers, query and body", async () => {
    const wrongSecret = `sb_secret_${"NotThisProjectsKeyAtAll"}_12345678`;
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const requests: [string, RequestInit][] = [
      ["/rest/v1/contacts?select=id", { headers: { apikey: WELL_KNOWN_SECRET_KEY } }],
      ["/rest/v1/contacts?select=id", { headers: { authorization: `Bearer ${WELL_KNOWN_SECRET_KEY}` } }],
      [`/rest/v1/contacts?apikey=${WELL_KNOWN_SECRET_KEY}`, { headers: { apikey: wrongSecret } }],
      ["/auth/v1/admin/users", { headers: { apikey: wrongSecret, authorization: `Bearer ${wrongSecret}` } }],
      [
        "/auth/v1/token?grant_type=pkce",
        {
          method: "POST",
          headers: { apikey: WELL_KNOWN_PUBLISHABLE_KEY, "content-type": "application/json" },
          body: JSON.stringify({
            auth_code: "00000000-0000-4000-8000-000000000000",
            code_verifier: verifier,
          }),
        },
      ],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${url}${path}`, init);
      expect(response.status).toBeLessThan(500);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written.length).toBeGreaterThan(0);
    for (const secret of [WELL_KNOWN_SECRET_KEY, wrongSecret, verifier, config.jwt.serviceRoleKey]) {
      expect(written).not.toContain(secret);
    }
  });
});
