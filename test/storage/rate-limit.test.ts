import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

// Upload rate limits: token buckets in PostgreSQL per user and per IP, 429 with Retry-After.
describe("upload rate limits", () => {
  let server: StorageTestServer;

  beforeAll(async () => {
    server = await startStorageServer({
      projectDir: path.join(import.meta.dirname, "fixtures/rate-project"),
    });
    await server.database.query("insert into storage.buckets (id, name) values ('box', 'box')");
  });
  afterAll(async () => {
    await server.close();
  });

  it("lets 3 uploads a minute through, then answers 429 with Retry-After", async () => {
    const client = await server.userClient(newUser(), { role: "service_role" });
    for (const i of [1, 2, 3]) {
      expect((await client.storage.from("box").upload(`ok-${i}.txt`, `n°${i}`)).error).toBeNull();
    }
    const refused = await http(server, "POST", "/object/box/too-many.txt", {
      token: server.serviceRoleKey,
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ statusCode: "429", code: "SlowDown" });
    const { rows } = await server.database.query("select count(*)::int as n from storage.objects");
    expect(rows[0]?.n).toBe(3);
  });
});
