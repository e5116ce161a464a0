import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { connectDatabase, type Database } from "../../src/db/pool.js";
import { buildServer, listen } from "../../src/http/server.js";
import { s3Backend } from "../../src/services/storage/backend/s3.js";
import { LooseBlobs } from "../../src/services/storage/loose-blobs.js";
import { testClient } from "../harness/server.js";
import { http, newUser, ownFolderPolicies, type StorageTestServer, startStorageServer } from "./helpers.js";
import { S3_PROJECT, type S3rverProcess, startS3rver } from "./s3rver.js";

const PREFIX = "shared/";
const MiB = 1024 * 1024;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds (clean-up after a failed upload runs after the answer). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return;
    await wait(100);
  }
}

/** Starts an upload announced as `announced` bytes and sends `sent` of them; `cut()` ends it. */
function startUpload(url: string, pathname: string, token: string, announced: number, sent: number) {
  const request = httpRequest(new URL(`${url}/storage/v1${pathname}`), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "content-length": announced },
  });
  const answer = new Promise<number>((resolve) => {
    request.on("response", (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(0));
  });
  request.write(Buffer.alloc(sent, 97));
  return {
    answer,
    finish: () => request.end(Buffer.alloc(announced - sent, 98)),
    cut: () => request.destroy(),
  };
}

/** A second API process's server, in this process, on the same database and S3 bucket. */
async function startSecondServer(server: StorageTestServer, s3: S3rverProcess) {
  const config = await loadConfig(S3_PROJECT, {
    DATABASE_URL: server.database.adminUrl,
    GROUNDWORK_AUTHENTICATOR_URL: server.database.apiUrl,
    GROUNDWORK_API_PORT: "0",
    ...s3.env(PREFIX),
  });
  const db: Database = connectDatabase({
    adminUrl: server.database.adminUrl,
    apiUrl: server.database.apiUrl,
    poolSize: 3,
  });
  const app: FastifyInstance = await buildServer({ config, db, logLevel: "silent" });
  const url = await listen(app, config);
  return {
    url,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

// Bytes and rows never disagree with the bytes in S3, and several API processes share one bucket.
describe("bytes and rows stay consistent on the S3 backend", () => {
  let s3: S3rverProcess;
  let server: StorageTestServer;
  const alice = newUser();
  let token: string;

  beforeAll(async () => {
    s3 = await startS3rver();
    server = await startStorageServer({ projectDir: S3_PROJECT, env: s3.env(PREFIX) });
    token = await server.userToken(alice);
    await server.database.query(`
      insert into storage.buckets (id, name, file_size_limit) values ('files', 'files', 20000000);
      ${ownFolderPolicies("files")}`);
  });
  afterAll(async () => {
    await server?.close();
    await s3?.close();
  });

  async function count(table: "objects" | "groundwork_loose_blobs"): Promise<number> {
    const { rows } = await server.database.query(`select count(*)::int as n from storage.${table}`);
    return rows[0]?.n;
  }
  const sweeper = () => new LooseBlobs(server.db.admin, s3Backend(s3.config(PREFIX)), () => {});

  it("an upload cut off by the client mid-way through its parts leaves no row and no object", async () => {
    const upload = startUpload(server.url, `/object/files/${alice}/coupé.txt`, token, 16 * MiB, 12 * MiB);
    await wait(500);
    upload.cut();
    await eventually(async () => (await count("groundwork_loose_blobs")) === 0);
    expect(await count("objects")).toBe(0);
    expect(await count("groundwork_loose_blobs")).toBe(0);
    expect(await s3.keys(PREFIX)).toEqual([]);
  });

  it("an upload over the size limit is refused with 413 and leaves nothing", async () => {
    const response = await http(server, "POST", `/object/files/${alice}/trop gros.txt`, {
      token,
      headers: { "content-type": "text/plain" },
      body: Buffer.alloc(20_000_001, 97),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: "413", code: "EntityTooLarge" });
    await eventually(async () => (await count("groundwork_loose_blobs")) === 0);
    expect(await count("objects")).toBe(0);
    expect(await s3.keys(PREFIX)).toEqual([]);
  });

  it("a DELETE from SQL leaves bytes that the sweep removes from S3", async () => {
    const client = await server.userClient(alice);
    await client.storage.from("files").upload(`${alice}/sql ✓.txt`, "supprimé par SQL");
    await server.database.query(
      "begin; set local storage.allow_delete_query = 'true'; delete from storage.objects; commit;",
    );
    expect(await s3.keys(PREFIX)).toHaveLength(1);
    const sweep = sweeper();
    expect(await sweep.sweep()).toBe(1);
    await sweep.close();
    expect(await s3.keys(PREFIX)).toEqual([]);
    expect(await count("groundwork_loose_blobs")).toBe(0);
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
          TEST_PROJECT_DIR: S3_PROJECT,
          ...s3.env(PREFIX),
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
      const upload = startUpload(url, `/object/files/${alice}/tué.txt`, token, 16 * MiB, 7 * MiB);
      await eventually(async () => (await count("groundwork_loose_blobs")) === 1);
      expect(await count("groundwork_loose_blobs")).toBe(1);
      await wait(500);
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      upload.cut();
    } finally {
      child.kill("SIGKILL");
    }
    // The advisory lock went with the killed process's connection; give PostgreSQL a moment.
    await wait(300);
    const sweep = sweeper();
    expect(await sweep.sweep()).toBe(1);
    await sweep.close();
    expect(await count("objects")).toBe(0);
    expect(await count("groundwork_loose_blobs")).toBe(0);
    expect(await s3.keys(PREFIX)).toEqual([]);
  });

  it("two servers on one database and one bucket see each other's uploads", async () => {
    const second = await startSecondServer(server, s3);
    try {
      const one = await server.userClient(alice);
      const two = testClient(second.url, token);
      const name = `${alice}/partagé 🤝.txt`;
      expect((await one.storage.from("files").upload(name, "écrit par un")).error).toBeNull();
      expect(await (await two.storage.from("files").download(name)).data?.text()).toBe("écrit par un");
      expect(
        (await two.storage.from("files").upload(name, "réécrit par deux", { upsert: true })).error,
      ).toBeNull();
      expect(await (await one.storage.from("files").download(name)).data?.text()).toBe("réécrit par deux");
      expect(await s3.keys(PREFIX)).toHaveLength(1);
      expect((await one.storage.from("files").list(alice)).data?.map((entry) => entry.name)).toEqual([
        "partagé 🤝.txt",
      ]);
      await two.storage.from("files").remove([name]);
      expect((await one.storage.from("files").download(name)).error).not.toBeNull();
      expect(await s3.keys(PREFIX)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("a sweep by another process leaves a live server's upload in progress alone", async () => {
    const second = await startSecondServer(server, s3);
    try {
      const upload = startUpload(second.url, `/object/files/${alice}/en cours.txt`, token, 9 * MiB, 6 * MiB);
      await eventually(async () => (await count("groundwork_loose_blobs")) === 1);
      const sweep = sweeper();
      expect(await sweep.sweep()).toBe(0);
      await sweep.close();
      upload.finish();
      expect(await upload.answer).toBe(200);
      expect(await count("objects")).toBe(1);
      expect(await count("groundwork_loose_blobs")).toBe(0);
      expect(await s3.keys(PREFIX)).toHaveLength(1);
      const download = await http(
        server,
        "GET",
        `/object/files/${alice}/${encodeURIComponent("en cours.txt")}`,
        {
          token,
        },
      );
      expect(Number(download.headers.get("content-length"))).toBe(9 * MiB);
      expect((await download.arrayBuffer()).byteLength).toBe(9 * MiB);
    } finally {
      await second.close();
    }
  });
});
