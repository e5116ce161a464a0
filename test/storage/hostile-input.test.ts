import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

// Hostile input: each a clear error in Storage's shape, never a 5xx, nothing half-written.
describe("hostile input", () => {
  let server: StorageTestServer;
  let token: string;
  const user = newUser();

  beforeAll(async () => {
    server = await startStorageServer();
    token = server.serviceRoleKey;
    await server.database.query("insert into storage.buckets (id, name) values ('box', 'box')");
  });
  afterAll(async () => {
    await server.close();
  });

  /** A POST whose path goes out byte for byte as written. */
  function rawPost(path: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const url = new URL(server.url);
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
        timeout: 10_000,
      });
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      });
      request.on("error", reject);
      request.end(body);
    });
  }

  async function objectCount(): Promise<number> {
    const { rows } = await server.database.query("select count(*)::int as n from storage.objects");
    return rows[0]?.n;
  }

  const badNames: [string, string][] = [
    ["dot-dot segment", "a/../../etc/passwd"],
    ["encoded dot-dot", "a/%2e%2e/%2e%2e/etc/passwd"],
    ["encoded slash and dot-dot", "%2e%2e%2f%2e%2e%2fetc"],
    ["a lone dot segment", "a/./b"],
    ["NUL", "a%00b.txt"],
    ["backslash", "a%5C..%5Cb"],
    ["control character", "a%0Ab"],
    ["bidi override", "invoice%E2%80%AEfdp.exe"],
    ["over 1024 bytes", `${"%C3%A9".repeat(600)}.txt`],
  ];

  it.each(badNames)("refuses an object name with %s", async (_case, name) => {
    // Sent verbatim (fetch would resolve the dot segments before they left the client).
    const response = await rawPost(`/storage/v1/object/box/${name}`, "x");
    expect(response.status).toBe(400);
    const body = JSON.parse(response.body) as { statusCode: string; code: string };
    expect(["400", "404"]).toContain(body.statusCode);
    expect(["InvalidKey", "NotFound"]).toContain(body.code);
    expect(await objectCount()).toBe(0);
  });

  it("accepts names in any script", async () => {
    for (const name of ["café/naïve.txt", "日本語/ファイル.txt", "emoji/🎉👩‍💻.txt"]) {
      const response = await http(
        server,
        "POST",
        `/object/box/${encodeURIComponent(name).replaceAll("%2F", "/")}`,
        {
          token,
          headers: { "content-type": "text/plain" },
          body: name,
        },
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ Key: `box/${name}` });
    }
    const listed = await server.client(token).storage.from("box").list("emoji");
    expect(listed.data?.map((entry) => entry.name)).toEqual(["🎉👩‍💻.txt"]);
  });

  it("refuses a bad or missing bucket with Storage's errors", async () => {
    const missing = await http(server, "POST", "/object/nope/a.txt", {
      token,
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(await missing.json()).toMatchObject({ statusCode: "404", code: "NoSuchBucket" });
    const invalid = await http(server, "GET", "/object/b%00x/a.txt", { token });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: "InvalidBucketName" });
  });

  it("refuses a truncated multipart body and keeps nothing", async () => {
    const boundary = "----gwboundary";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="cacheControl"\r\n\r\n3600\r\n--${boundary}\r\nContent-Disposition: form-data; name=""; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhalf a fi`;
    const response = await http(server, "POST", "/object/box/truncated.txt", {
      token,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: "400", code: "InvalidRequest" });
    expect((await server.client(token).storage.from("box").exists("truncated.txt")).data).toBe(false);
  });

  it("refuses a multipart body without a file", async () => {
    const form = new FormData();
    form.append("cacheControl", "3600");
    const response = await http(server, "POST", "/object/box/nofile.txt", { token, body: form });
    expect(await response.json()).toMatchObject({
      statusCode: "400",
      message: "The multipart body holds no file",
    });
  });

  it("answers bad JSON, bad parameters and unknown routes in Storage's shape", async () => {
    const badJson = await http(server, "POST", "/bucket", {
      token,
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ statusCode: "400", message: "Body is not valid JSON" });
    const badList = await http(server, "POST", "/object/list/box", {
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prefix: "", sortBy: { column: "owner; drop table x" } }),
    });
    expect(await badList.json()).toMatchObject({ code: "InvalidParameter" });
    const badLimit = await http(server, "GET", "/bucket?limit=-1", { token });
    expect(await badLimit.json()).toMatchObject({ code: "InvalidParameter" });
    const unknown = await http(server, "PATCH", "/nothing", { token });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ statusCode: "404" });
    const move = await http(server, "POST", "/object/move", {
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bucketId: "box", sourceKey: "café/naïve.txt" }),
    });
    expect(await move.json()).toMatchObject({
      code: "MissingParameter",
      message: "Missing Required Parameter destinationKey",
    });
  });

  it("answers a malformed token on a public download without failing", async () => {
    await http(server, "PUT", "/bucket/box", {
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ public: true }),
    });
    const response = await http(server, "GET", "/object/public/box/café/naïve.txt", { token: "not-a-jwt" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("café/naïve.txt");
    expect(user).toBeTruthy();
  });
});
