import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { type DetailedError, Upload, type UploadOptions } from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepExpiredUploads } from "../../src/services/storage/resumable-sweep.js";
import { EICAR, startClamd, type TestClamd } from "./clamd.js";
import { newUser, ownFolderPolicies, type StorageTestServer, startStorageServer } from "./helpers.js";

const PROJECT = path.join(import.meta.dirname, "fixtures/tus-project");
/** The chunk size Supabase asks tus clients to use. */
const CHUNK = 6 * 1024 * 1024;

/** One tus-js-client upload; `done` resolves with its URL or rejects with the client's error. */
function tus(file: Buffer, options: UploadOptions): { upload: Upload; done: Promise<string> } {
  let upload: Upload | undefined;
  const done = new Promise<string>((resolve, reject) => {
    upload = new Upload(file, {
      retryDelays: [],
      chunkSize: CHUNK,
      uploadDataDuringCreation: true,
      ...options,
      onError: reject,
      onSuccess: () => resolve(upload?.url ?? ""),
    });
    upload.start();
  });
  return { upload: upload as Upload, done };
}

/** The status and body of a refused upload, as tus-js-client reports them. */
async function refusal(done: Promise<string>): Promise<{ status: number; body: string }> {
  try {
    await done;
  } catch (error) {
    const response = (error as DetailedError).originalResponse;
    return { status: response?.getStatus() ?? 0, body: response?.getBody() ?? String(error) };
  }
  throw new Error("the upload was accepted");
}

describe("resumable uploads (TUS) with tus-js-client", () => {
  let clamd: TestClamd;
  let server: StorageTestServer;
  let endpoint: string;
  let staging: string;
  let service: SupabaseClient;
  const alice = newUser();
  const bob = newUser();
  let aliceToken: string;
  let bobToken: string;

  const as = (token: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    ...extra,
  });
  const meta = (bucketName: string, objectName: string, contentType = "application/octet-stream") => ({
    bucketName,
    objectName,
    contentType,
    cacheControl: "3600",
  });
  const staged = async () => readdir(staging).catch(() => [] as string[]);
  const row = async (bucket: string, name: string) =>
    (
      await server.database.query(
        "select owner_id, metadata, user_metadata from storage.objects where bucket_id = $1 and name = $2",
        [bucket, name],
      )
    ).rows[0];
  const download = async (bucket: string, name: string) => {
    const { data, error } = await service.storage.from(bucket).download(name);
    if (error) throw error;
    return Buffer.from(await data.arrayBuffer());
  };

  beforeAll(async () => {
    clamd = await startClamd();
    server = await startStorageServer({ projectDir: PROJECT, env: { CLAMD_SOCKET: clamd.socket } });
    endpoint = `${server.url}/storage/v1/upload/resumable`;
    staging = `${server.storagePath}-resumable`;
    service = server.client(server.serviceRoleKey);
    aliceToken = await server.userToken(alice);
    bobToken = await server.userToken(bob);
    await server.database.query(`
      ${ownFolderPolicies("docs")}
      ${ownFolderPolicies("images")}
      ${ownFolderPolicies("small")}
      ${ownFolderPolicies("scanned")}
      insert into storage.buckets (id, name, public, allowed_mime_types, file_size_limit) values
        ('docs', 'docs', false, null, null),
        ('images', 'images', false, '{image/png}', null),
        ('small', 'small', false, null, 1024),
        ('scanned', 'scanned', false, null, null);`);
  });
  afterAll(async () => {
    await server?.close();
    await clamd?.stop();
  });

  it("resumes an interrupted multi-chunk upload from the offset the server reports", async () => {
    const file = randomBytes(2 * CHUNK + 1024 * 1024);
    const name = `${alice}/big.bin`;
    const options = { endpoint, headers: as(aliceToken), metadata: meta("docs", name) };
    let aborted!: () => void;
    const wasAborted = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const first = tus(file, {
      ...options,
      // Interrupted half way through the second chunk, as a dropped connection would.
      onProgress: (sent) => {
        if (sent > CHUNK + CHUNK / 2) {
          void first.upload.abort().then(aborted);
        }
      },
    });
    first.done.catch(() => {});
    await wasAborted;
    const url = first.upload.url ?? "";
    expect(url).toMatch(/^http:\/\/.+\/storage\/v1\/upload\/resumable\/[0-9a-f-]{36}$/);

    const head = await fetch(url, {
      method: "HEAD",
      headers: { ...as(aliceToken), "tus-resumable": "1.0.0" },
    });
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get("upload-offset"));
    expect(offset).toBeGreaterThanOrEqual(CHUNK);
    expect(offset).toBeLessThan(file.length);
    expect(head.headers.get("upload-length")).toBe(String(file.length));
    expect(await row("docs", name)).toBeUndefined();

    const progress: number[] = [];
    const second = tus(file, { ...options, uploadUrl: url, onProgress: (sent) => progress.push(sent) });
    await second.done;
    expect(Math.min(...progress)).toBeGreaterThanOrEqual(offset);
    expect((await download("docs", name)).equals(file)).toBe(true);
    expect(await row("docs", name)).toMatchObject({
      owner_id: alice,
      metadata: { size: file.length, mimetype: "application/octet-stream", cacheControl: "max-age=3600" },
    });
    const { rows } = await server.database.query(
      "select auth_uid::text from groundwork.audit_log where op = 'UPLOAD' and record ->> 'name' = $1",
      [name],
    );
    expect(rows).toEqual([{ auth_uid: alice }]);
    expect(await staged()).toEqual([]);
  }, 120_000);

  it("refuses an upload RLS refuses at creation, before a byte is stored", async () => {
    const result = await refusal(
      tus(Buffer.from("not yours"), {
        endpoint,
        headers: as(bobToken),
        metadata: meta("docs", `${alice}/intrusion.txt`, "text/plain"),
      }).done,
    );
    expect(result).toEqual({ status: 403, body: "new row violates row-level security policy" });
    expect(await staged()).toEqual([]);
    expect(await row("docs", `${alice}/intrusion.txt`)).toBeUndefined();
  });

  it("refuses a request without a valid token, and requests for another user's upload", async () => {
    const bad = await refusal(
      tus(Buffer.from("x"), {
        endpoint,
        headers: { authorization: "Bearer not.a.jwt" },
        metadata: meta("docs", `${alice}/x.txt`),
      }).done,
    );
    expect(bad.status).toBe(403);
    const created = await fetch(endpoint, {
      method: "POST",
      headers: {
        ...as(aliceToken),
        "tus-resumable": "1.0.0",
        "upload-length": "10",
        "upload-metadata": `bucketName ${b64("docs")},objectName ${b64(`${alice}/pending.txt`)}`,
      },
    });
    expect(created.status).toBe(201);
    const url = created.headers.get("location") ?? "";
    const asBob = await fetch(url, {
      method: "HEAD",
      headers: { ...as(bobToken), "tus-resumable": "1.0.0" },
    });
    expect(asBob.status).toBe(403);
    expect(await asBob.text()).toBe("");
    const patch = await fetch(url, {
      method: "PATCH",
      headers: {
        ...as(bobToken),
        "tus-resumable": "1.0.0",
        "upload-offset": "0",
        "content-type": "application/offset+octet-stream",
      },
      body: "0123456789",
    });
    expect(patch.status).toBe(403);
    expect(await patch.text()).toBe("The upload belongs to another user");
    const wrongOffset = await fetch(url, {
      method: "PATCH",
      headers: {
        ...as(aliceToken),
        "tus-resumable": "1.0.0",
        "upload-offset": "3",
        "content-type": "application/offset+octet-stream",
      },
      body: "3456789",
    });
    expect(wrongOffset.status).toBe(409);
    const dropped = await fetch(url, {
      method: "DELETE",
      headers: { ...as(aliceToken), "tus-resumable": "1.0.0" },
    });
    expect(dropped.status).toBe(204);
    expect(await staged()).toEqual([]);
  });

  it("answers the protocol's own requests: OPTIONS, a missing Tus-Resumable, an unknown upload", async () => {
    const options = await fetch(endpoint, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("tus-version")).toBe("1.0.0");
    expect(options.headers.get("tus-extension")).toContain("creation");
    expect(options.headers.get("tus-max-size")).toBe(String(50 * 1024 * 1024));
    const noVersion = await fetch(endpoint, { method: "POST", headers: as(aliceToken) });
    expect(noVersion.status).toBe(412);
    const unknown = await fetch(`${endpoint}/00000000-0000-4000-8000-000000000000`, {
      method: "HEAD",
      headers: { ...as(aliceToken), "tus-resumable": "1.0.0" },
    });
    expect(unknown.status).toBe(404);
    const noMetadata = await fetch(endpoint, {
      method: "POST",
      headers: { ...as(aliceToken), "tus-resumable": "1.0.0", "upload-length": "1" },
    });
    expect(noMetadata.status).toBe(400);
    expect(await noMetadata.text()).toBe("Metadata header is required");
  });

  it("checks the real type from the bytes once the last chunk arrives", async () => {
    const name = `${alice}/fake.png`;
    const result = await refusal(
      tus(Buffer.from("<?php echo 'not an image'; ?>"), {
        endpoint,
        headers: as(aliceToken),
        metadata: meta("images", name, "image/png"),
      }).done,
    );
    expect(result).toEqual({
      status: 415,
      body: "mime type image/png does not match the file's content (unknown binary content)",
    });
    expect(await row("images", name)).toBeUndefined();
    expect(await staged()).toEqual([]);
  });

  it("refuses a declared type the bucket does not take, before any byte", async () => {
    const result = await refusal(
      tus(Buffer.from("plain"), {
        endpoint,
        headers: as(aliceToken),
        metadata: meta("images", `${alice}/a.txt`, "text/plain"),
      }).done,
    );
    expect(result).toEqual({ status: 415, body: "mime type text/plain is not supported" });
    expect(await staged()).toEqual([]);
  });

  it("refuses an Upload-Length over the bucket's file_size_limit at creation", async () => {
    const result = await refusal(
      tus(randomBytes(2048), {
        endpoint,
        headers: as(aliceToken),
        metadata: meta("small", `${alice}/big.bin`),
      }).done,
    );
    expect(result).toEqual({ status: 413, body: "The object exceeded the maximum allowed size" });
    expect(await staged()).toEqual([]);
  });

  it("quarantines the EICAR test file at the end of the upload", async () => {
    const name = `${alice}/eicar ☣.com`;
    const result = await refusal(
      tus(Buffer.from(EICAR), { endpoint, headers: as(aliceToken), metadata: meta("scanned", name) }).done,
    );
    expect(result).toEqual({
      status: 422,
      body: "The file is infected (Eicar-Test-Signature.UNOFFICIAL) and was quarantined",
    });
    expect(await row("scanned", name)).toBeUndefined();
    const { rows } = await server.database.query(
      "select owner_id, signature from storage.groundwork_quarantine where name = $1",
      [name],
    );
    expect(rows).toEqual([{ owner_id: alice, signature: "Eicar-Test-Signature.UNOFFICIAL" }]);
    expect(await staged()).toEqual([]);
  });

  it("refuses an existing name unless x-upsert is true, then replaces it", async () => {
    const name = `${alice}/notes.txt`;
    const options = { endpoint, metadata: meta("docs", name, "text/plain") };
    await tus(Buffer.from("first"), { ...options, headers: as(aliceToken) }).done;
    const again = await refusal(tus(Buffer.from("second"), { ...options, headers: as(aliceToken) }).done);
    expect(again).toEqual({ status: 409, body: "The resource already exists" });
    await tus(Buffer.from("second ✓"), { ...options, headers: as(aliceToken, { "x-upsert": "true" }) }).done;
    expect((await download("docs", name)).toString()).toBe("second ✓");
    expect(await staged()).toEqual([]);
  });

  it("keeps object names and user metadata of any script", async () => {
    const name = `${alice}/写真 🎉/café ✓.txt`;
    const text = "こんにちは 🌸 héllo";
    await tus(Buffer.from(text), {
      endpoint,
      headers: as(aliceToken),
      metadata: { ...meta("docs", name, "text/plain"), metadata: JSON.stringify({ légende: "été 🌞" }) },
    }).done;
    expect((await download("docs", name)).toString()).toBe(text);
    expect(await row("docs", name)).toMatchObject({ user_metadata: { légende: "été 🌞" } });
    const listed = await service.storage.from("docs").list(`${alice}/写真 🎉`);
    expect(listed.data?.map((item) => item.name)).toEqual(["café ✓.txt"]);
  });

  it("takes a signed resumable upload with the token of createSignedUploadUrl", async () => {
    const name = `${alice}/signé 📎.txt`;
    const asAlice = await server.userClient(alice);
    const { data, error } = await asAlice.storage.from("docs").createSignedUploadUrl(name);
    expect(error).toBeNull();
    const token = data?.token ?? "";
    const signed = { endpoint: `${endpoint}/sign`, headers: { "x-signature": token } };
    const url = await tus(Buffer.from("signed upload"), {
      ...signed,
      metadata: meta("docs", name, "text/plain"),
    }).done;
    expect(url).toContain("/upload/resumable/sign/");
    expect((await download("docs", name)).toString()).toBe("signed upload");
    expect(await row("docs", name)).toMatchObject({ owner_id: alice });

    const elsewhere = await refusal(
      tus(Buffer.from("elsewhere"), { ...signed, metadata: meta("docs", `${alice}/other.txt`, "text/plain") })
        .done,
    );
    expect(elsewhere).toEqual({ status: 400, body: "Invalid signature" });
    const missing = await refusal(
      tus(Buffer.from("x"), { endpoint: `${endpoint}/sign`, metadata: meta("docs", name, "text/plain") })
        .done,
    );
    expect(missing).toEqual({ status: 400, body: "Missing x-signature header" });
  });

  it("leaves no row for an abandoned upload, and the expiry sweep removes its chunks", async () => {
    const name = `${alice}/abandoned.bin`;
    let aborted!: () => void;
    const wasAborted = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const first = tus(randomBytes(1024 * 1024), {
      endpoint,
      headers: as(aliceToken),
      metadata: meta("docs", name),
      chunkSize: 256 * 1024,
      onChunkComplete: () => {
        void first.upload.abort().then(aborted);
      },
    });
    first.done.catch(() => {});
    await wasAborted;
    const url = first.upload.url ?? "";
    expect(await row("docs", name)).toBeUndefined();
    const id = url.split("/").at(-1) ?? "";
    expect((await staged()).sort()).toEqual([id, `${id}.json`]);

    const expireAfter = server.config.storage.server.resumable.expireAfterSeconds;
    expect(await sweepExpiredUploads(staging, expireAfter)).toBe(0);
    expect(await sweepExpiredUploads(staging, expireAfter, Date.now() + (expireAfter + 1) * 1000)).toBe(1);
    expect(await staged()).toEqual([]);
    const head = await fetch(url, {
      method: "HEAD",
      headers: { ...as(aliceToken), "tus-resumable": "1.0.0" },
    });
    expect(head.status).toBe(404);
    expect(await row("docs", name)).toBeUndefined();
  });
});

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

describe("resumable uploads under the upload rate limit", () => {
  let server: StorageTestServer;
  beforeAll(async () => {
    server = await startStorageServer({
      projectDir: path.join(import.meta.dirname, "fixtures/rate-project"),
    });
    await server.database.query("insert into storage.buckets (id, name) values ('docs', 'docs')");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("counts each creation as an upload: the fourth in a minute is 429 with Retry-After", async () => {
    const user = newUser();
    const token = await server.userToken(user);
    await server.database.query(`
      create policy "rate own" on storage.objects for all to authenticated
        using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text))`);
    const create = (n: number) =>
      fetch(`${server.url}/storage/v1/upload/resumable`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "tus-resumable": "1.0.0",
          "upload-length": "4",
          "upload-metadata": `bucketName ${b64("docs")},objectName ${b64(`${user}/n° ${n} ✓.txt`)}`,
        },
      });
    for (const n of [1, 2, 3]) expect((await create(n)).status).toBe(201);
    const refused = await create(4);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("tus-resumable")).toBe("1.0.0");
    expect(await refused.text()).toBe("Too many uploads; try again later");
  });
});

describe("resumable uploads across a restart", () => {
  it("resumes an upload staged by a server that has since stopped", async () => {
    const staging = await mkdtemp(path.join(tmpdir(), "gw-tus-restart-"));
    const env = { GROUNDWORK_RESUMABLE_PATH: staging };
    const policy =
      "create policy \"own\" on storage.objects for all to authenticated using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text)); insert into storage.buckets (id, name) values ('docs', 'docs');";
    const user = newUser();
    const file = randomBytes(3 * 256 * 1024);
    const name = `${user}/après redémarrage 🔁.bin`;
    let url = "";
    const first = await startStorageServer({ env });
    try {
      await first.database.query(policy);
      let aborted!: () => void;
      const wasAborted = new Promise<void>((resolve) => {
        aborted = resolve;
      });
      const upload = tus(file, {
        endpoint: `${first.url}/storage/v1/upload/resumable`,
        headers: { authorization: `Bearer ${await first.userToken(user)}` },
        metadata: { bucketName: "docs", objectName: name },
        chunkSize: 256 * 1024,
        onChunkComplete: () => {
          void upload.upload.abort().then(aborted);
        },
      });
      upload.done.catch(() => {});
      await wasAborted;
      url = upload.upload.url ?? "";
    } finally {
      await first.close();
    }
    const second = await startStorageServer({ env });
    try {
      await second.database.query(policy);
      const moved = `${second.url}${new URL(url).pathname}`;
      const progress: number[] = [];
      await tus(file, {
        uploadUrl: moved,
        headers: { authorization: `Bearer ${await second.userToken(user)}` },
        chunkSize: 256 * 1024,
        onProgress: (sent) => progress.push(sent),
      }).done;
      expect(Math.min(...progress)).toBeGreaterThanOrEqual(256 * 1024);
      const { data } = await second.client(second.serviceRoleKey).storage.from("docs").download(name);
      expect(Buffer.from((await data?.arrayBuffer()) ?? new ArrayBuffer(0)).equals(file)).toBe(true);
      expect(await readdir(staging)).toEqual([]);
    } finally {
      await second.close();
      await rm(staging, { recursive: true, force: true });
    }
  });
});
