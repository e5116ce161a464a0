import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { withCredentials } from "../../src/db/database-url.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { EXAMPLE_PROJECT } from "../harness/templates.js";

describe("GET /ready when the database refuses the API pool", () => {
  let database: TestDatabase;
  let db: Database;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase("platform");
    const config = await loadConfig(EXAMPLE_PROJECT, {
      DATABASE_URL: database.adminUrl,
      GROUNDWORK_API_PORT: "0",
    });
    // The API pool logs in with a wrong password: every query fails.
    const apiUrl = withCredentials(database.apiUrl, "authenticator", "not-the-password-ñ");
    db = connectDatabase({ adminUrl: database.adminUrl, apiUrl, poolSize: 2 });
    app = await buildServer({ config, db, logLevel: "silent" });
    url = await listen(app, config);
  });
  afterAll(async () => {
    await app.close();
    await db.close();
    await database.drop();
  });

  it("answers 503 without the database's own error text", async () => {
    const response = await fetch(`${url}/ready`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: "unavailable", message: "the database does not answer" });
    expect(text).not.toMatch(/password|authenticator|authentication/i);
  });
});
