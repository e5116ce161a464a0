import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localBackend } from "../../src/services/storage/backend/local.js";
import { LooseBlobs } from "../../src/services/storage/loose-blobs.js";
import { http, newUser, ownFolderPolicies, type StorageTestServer, startStorageServer } from "./helpers.js";

/** Every file under a folder (bytes of any version, partial writes included). */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds (clean-up after a failed upload runs after the answer). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return;
    await wait(100);
  }
}

/** Sends the head of a body announced as larger, then cuts the connection. */
function abortedUpload(
  url: string,
  pathname: string,
  token: string,
  announced: number,
  sent: number,
): Promise<void> {
  return new Promise((resolve) => {
    const target = new URL(`${url}/storage/v1${pathname}`);
    const request = httpRequest(target, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "text/plain",
        "content-length": announced,
      },
    });
    request.on("error", () => resolve());
    request.write(Buffer.alloc(sent, 97), () => {
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 200);
    });
  });
}

// Bytes and rows never disagree: an upload is visible only once both are written, a failed or
// aborted one leaves nothing, a crashed server's leftovers are swept.
describe("bytes and rows stay consistent", () => {
  let server: StorageTestServer;
  const alice = newUser();
  let token: string;

  beforeAll(async () => {
    server = await startStorageServer();
    token = await server.userToken(alice);
    await server.database.query(`
      insert into storage.buckets (id, name, file_size_limit) values ('files', 'files', 2000000);
      ${ownFolderPolicies("files")}`);
  });
  afterAll(async () => {
    await server.close();
  });

  async function objectRows(): Promise<number> {
    const { rows } = await server.database.query("select count(*)::int as n from storage.objects");
    return rows[0]?.n;
  }
  async function looseRows(): Promise<number> {
    const { rows } = await server.database.query(
      "select count(*)::int as n from storage.groundwork_loose_blobs",
    );
    return rows[0]?.n;
  }

  it("an upload cut off by the client leaves no row and no bytes", async () => {
    await abortedUpload(server.url, `/object/files/${alice}/cut.txt`, token, 1_000_000, 200_000);
    await eventually(
      async () => (await looseRows()) === 0 && (await filesUnder(server.storagePath)).length === 0,
    );
    expect(await objectRows()).toBe(0);
    expect(await looseRows()).toBe(0);
    expect(await filesUnder(server.storagePath)).toEqual([]);
  });

  it("an upload over the size limit leaves nothing", async () => {
    const response = await http(server, "POST", `/object/files/${alice}/big.txt`, {
      token,
      headers: { "content-type": "text/plain" },
      body: Buffer.alloc(2_000_001, 97),
    });
    expect(await response.json()).toMatchObject({ statusCode: "413", code: "EntityTooLarge" });
    await eventually(async () => (await filesUnder(server.storagePath)).length === 0);
    expect(await objectRows()).toBe(0);
    expect(await filesUnder(server.storagePath)).toEqual([]);
  });

  it("concurrent upserts of one key leave one row and the bytes of one version", async () => {
    const client = await server.userClient(alice);
    const bodies = Array.from({ length: 8 }, (_, i) => `version ${i} ✓`);
    const results = await Promise.all(
      bodies.map((body) => client.storage.from("files").upload(`${alice}/same.txt`, body, { upsert: true })),
    );
    expect(results.every((result) => result.error === null)).toBe(true);
    const text = await (await client.storage.from("files").download(`${alice}/same.txt`)).data?.text();
    expect(bodies).toContain(text);
    expect(await filesUnder(server.storagePath)).toHaveLength(1);
    expect(await looseRows()).toBe(0);
    const plain = await Promise.all(
      [1, 2, 3].map((i) => client.storage.from("files").upload(`${alice}/once.txt`, `try ${i}`)),
    );
    expect(plain.filter((result) => result.error === null)).toHaveLength(1);
    expect(plain.filter((result) => result.error?.message === "The resource already exists")).toHaveLength(2);
    expect(await filesUnder(server.storagePath)).toHaveLength(2);
  });

  it("deleting an object deletes its bytes", async () => {
    const client = await server.userClient(alice);
    await client.storage.from("files").remove([`${alice}/same.txt`, `${alice}/once.txt`]);
    expect(await filesUnder(server.storagePath)).toEqual([]);
    expect(await looseRows()).toBe(0);
  });

  it("a DELETE from SQL leaves bytes that the sweep removes", async () => {
    const client = await server.userClient(alice);
    await client.storage.from("files").upload(`${alice}/sql.txt`, "deleted behind the API's back");
    const refused = await server.database.query("delete from storage.objects").catch((error: Error) => error);
    expect((refused as Error).message).toContain("Direct deletion from storage tables is not allowed");
    await server.database.query(
      "begin; set local storage.allow_delete_query = 'true'; delete from storage.objects; commit;",
    );
    expect(await filesUnder(server.storagePath)).toHaveLength(1);
    const sweeper = new LooseBlobs(server.db.admin, localBackend(server.storagePath), () => {});
    expect(await sweeper.sweep()).toBe(1);
    await sweeper.close();
    expect(await filesUnder(server.storagePath)).toEqual([]);
    expect(await looseRows()).toBe(0);
  });

  it("a server killed mid-upload leaves nothing after the sweep", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(import.meta.dirname, "fixtures/server-process.ts")],
      {
        env: {
          ...process.env,
          DATABASE_URL: server.database.adminUrl,
          GROUNDWORK_AUTHENTICATOR_URL: server.database.apiUrl,
          GROUNDWORK_STORAGE_PATH: server.storagePath,
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the server process did not start")), 30_000);
        child.stdout.on("data", (chunk: Buffer) => {
          clearTimeout(timer);
          resolve(chunk.toString().trim());
        });
      });
      const target = new URL(`${url}/storage/v1/object/files/${alice}/killed.txt`);
      const upload = httpRequest(target, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "text/plain",
          "content-length": 1_500_000,
        },
      });
      upload.on("error", () => {});
      upload.write(Buffer.alloc(500_000, 98));
      for (let i = 0; i < 50 && (await filesUnder(server.storagePath)).length === 0; i++) await wait(100);
      expect(await filesUnder(server.storagePath)).toHaveLength(1);
      expect(await looseRows()).toBe(1);
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      upload.destroy();
    } finally {
      child.kill("SIGKILL");
    }
    // The advisory lock went with the killed process's connection; give PostgreSQL a moment.
    await wait(300);
    const sweeper = new LooseBlobs(server.db.admin, localBackend(server.storagePath), () => {});
    await sweeper.sweep();
    await sweeper.close();
    expect(await objectRows()).toBe(0);
    expect(await looseRows()).toBe(0);
    expect(await filesUnder(server.storagePath)).toEqual([]);
  });
});
