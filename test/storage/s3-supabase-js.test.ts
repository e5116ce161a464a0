import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import type { SupabaseClient } from "@supabase/supabase-js";
import sharp from "sharp";
import { Upload as TusUpload } from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashedName } from "../../src/services/storage/backend/hashed-name.js";
import { http, newUser, ownFolderPolicies, type StorageTestServer, startStorageServer } from "./helpers.js";
import { S3_PROJECT, type S3rverProcess, startS3rver } from "./s3rver.js";

const PREFIX = "flows/";
const MiB = 1024 * 1024;

// The storage-js calls of supabase-js.test.ts, through an unmodified supabase-js, with the bytes in
// an S3-compatible store (s3rver in a process of its own) instead of the local folder.
describe("storage through supabase-js on the S3 backend", () => {
  let s3: S3rverProcess;
  let server: StorageTestServer;
  let service: SupabaseClient;
  let anon: SupabaseClient;
  const alice = newUser();
  const bob = newUser();
  let asAlice: SupabaseClient;
  let asBob: SupabaseClient;
  let token: string;

  /** The S3 keys of an object's versions. */
  const keysOf = (bucket: string, name: string) => s3.keys(`${PREFIX}${bucket}/${hashedName(name)}/`);

  beforeAll(async () => {
    s3 = await startS3rver();
    server = await startStorageServer({ projectDir: S3_PROJECT, env: s3.env(PREFIX) });
    service = server.client(server.serviceRoleKey);
    anon = server.client();
    asAlice = await server.userClient(alice);
    asBob = await server.userClient(bob);
    token = await server.userToken(alice);
    await server.database.query(`
      ${ownFolderPolicies("docs")}
      create policy "avatars public read" on storage.objects for select to anon, authenticated
        using (bucket_id = 'avatars');`);
    await service.storage.createBucket("docs", { public: false, fileSizeLimit: "20MB" });
    await service.storage.createBucket("avatars", { public: true });
  });
  afterAll(async () => {
    await server?.close();
    await s3?.close();
  });

  it("keeps the bytes in S3, none on the local disk", async () => {
    expect(server.config.storage.server.backend).toMatchObject({ kind: "s3", prefix: PREFIX });
    const name = `${alice}/notes/été 🎉.txt`;
    const up = await asAlice.storage.from("docs").upload(name, "bonjour 🎉 日本");
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ path: name, fullPath: `docs/${name}` });
    const { rows } = await server.database.query("select version from storage.objects where name = $1", [
      name,
    ]);
    expect(await keysOf("docs", name)).toEqual([`${PREFIX}docs/${hashedName(name)}/${rows[0]?.version}`]);
    expect(await readdir(server.storagePath, { recursive: true })).toEqual([]);
    expect(await (await asAlice.storage.from("docs").download(name)).data?.text()).toBe("bonjour 🎉 日本");
    expect((await asBob.storage.from("docs").download(name)).error).not.toBeNull();
    const info = await asAlice.storage.from("docs").info(name);
    expect(info.data).toMatchObject({ name, size: Buffer.byteLength("bonjour 🎉 日本") });
  });

  it("streams a file of several parts up and down, ranges across a part boundary", async () => {
    const name = `${alice}/big/données.bin`;
    const bytes = Buffer.alloc(12 * MiB);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32BE(i, i);
    const up = await asAlice.storage
      .from("docs")
      .upload(name, bytes, { contentType: "application/octet-stream" });
    expect(up.error).toBeNull();
    const down = await asAlice.storage.from("docs").download(name);
    const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");
    expect(md5(Buffer.from(await (down.data as Blob).arrayBuffer()))).toBe(md5(bytes));
    const start = 5 * MiB - 3;
    const partial = await http(server, "GET", `/object/docs/${encodeURI(name)}`, {
      token,
      headers: { range: `bytes=${start}-${start + 9}` },
    });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes ${start}-${start + 9}/${bytes.length}`);
    expect(Buffer.from(await partial.arrayBuffer())).toEqual(bytes.subarray(start, start + 10));
    const past = await http(server, "GET", `/object/docs/${encodeURI(name)}`, {
      token,
      headers: { range: `bytes=${bytes.length}-` },
    });
    expect(past.status).toBe(416);
  });

  it("upserts replace the bytes: the old version's key is deleted", async () => {
    const name = `${alice}/dup ✓.txt`;
    await asAlice.storage.from("docs").upload(name, "one");
    const again = await asAlice.storage.from("docs").upload(name, "two");
    expect(again.error).toMatchObject({ statusCode: "409", message: "The resource already exists" });
    expect(await keysOf("docs", name)).toHaveLength(1);
    const before = await keysOf("docs", name);
    expect((await asAlice.storage.from("docs").upload(name, "three", { upsert: true })).error).toBeNull();
    const after = await keysOf("docs", name);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await (await asAlice.storage.from("docs").download(name)).data?.text()).toBe("three");
  });

  it("lists, moves, copies across buckets and removes, the keys following", async () => {
    await asAlice.storage.from("docs").upload(`${alice}/m.txt`, "déplacé");
    const moved = await asAlice.storage.from("docs").move(`${alice}/m.txt`, `${alice}/moved/m.txt`);
    expect(moved.data?.message).toBe("Successfully moved");
    expect(await keysOf("docs", `${alice}/m.txt`)).toEqual([]);
    expect(await keysOf("docs", `${alice}/moved/m.txt`)).toHaveLength(1);
    const top = await asAlice.storage.from("docs").list(alice);
    expect(top.data?.map((entry) => entry.name)).toEqual(["big", "dup ✓.txt", "moved", "notes"]);
    const copied = await asAlice.storage.from("docs").copy(`${alice}/moved/m.txt`, `${alice}/copy.txt`);
    expect(copied.data).toEqual({ path: `docs/${alice}/copy.txt` });
    const across = await service.storage
      .from("docs")
      .copy(`${alice}/copy.txt`, "copié.txt", { destinationBucket: "avatars" });
    expect(across.error).toBeNull();
    expect(await keysOf("avatars", "copié.txt")).toHaveLength(1);
    expect(await (await anon.storage.from("avatars").download("copié.txt")).data?.text()).toBe("déplacé");
    const removed = await asAlice.storage.from("docs").remove([`${alice}/copy.txt`, `${alice}/moved/m.txt`]);
    expect(removed.data?.map((o) => o.name).sort()).toEqual([`${alice}/copy.txt`, `${alice}/moved/m.txt`]);
    expect(await keysOf("docs", `${alice}/copy.txt`)).toEqual([]);
    expect(await keysOf("docs", `${alice}/moved/m.txt`)).toEqual([]);
    expect(await (await anon.storage.from("avatars").download("copié.txt")).data?.text()).toBe("déplacé");
  });

  it("serves public and signed URLs from S3; signed uploads land there too", async () => {
    const publicUrl = anon.storage.from("avatars").getPublicUrl("copié.txt").data.publicUrl;
    const response = await fetch(publicUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("déplacé");
    const name = `${alice}/notes/été 🎉.txt`;
    const signed = await asAlice.storage.from("docs").createSignedUrl(name, 60);
    expect(await (await fetch(signed.data?.signedUrl ?? "")).text()).toBe("bonjour 🎉 日本");
    const uploadName = `${alice}/signé.txt`;
    const sign = await asAlice.storage.from("docs").createSignedUploadUrl(uploadName);
    const put = await anon.storage
      .from("docs")
      .uploadToSignedUrl(uploadName, sign.data?.token ?? "", "par jeton");
    expect(put.error).toBeNull();
    expect(await keysOf("docs", uploadName)).toHaveLength(1);
    expect(await (await asAlice.storage.from("docs").download(uploadName)).data?.text()).toBe("par jeton");
  });

  it("transforms an image whose bytes are in S3", async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#c0ffee" } })
      .png()
      .toBuffer();
    expect(
      (await service.storage.from("avatars").upload("café.png", png, { contentType: "image/png" })).error,
    ).toBeNull();
    const resized = await anon.storage
      .from("avatars")
      .download("café.png", { transform: { width: 20, height: 15 } });
    expect(resized.error).toBeNull();
    const meta = await sharp(Buffer.from(await (resized.data as Blob).arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([20, 15]);
  });

  it("a resumable (TUS) upload of several chunks ends up in S3", async () => {
    const name = `${alice}/reprise ⏯.bin`;
    const file = Buffer.alloc(7 * MiB, 7);
    await new Promise<void>((resolve, reject) => {
      new TusUpload(file, {
        endpoint: `${server.url}/storage/v1/upload/resumable`,
        headers: { authorization: `Bearer ${token}` },
        metadata: { bucketName: "docs", objectName: name, contentType: "application/octet-stream" },
        chunkSize: 6 * MiB,
        retryDelays: [],
        onError: reject,
        onSuccess: () => resolve(),
      }).start();
    });
    expect(await keysOf("docs", name)).toHaveLength(1);
    const down = await asAlice.storage.from("docs").download(name);
    expect(Buffer.from(await (down.data as Blob).arrayBuffer()).equals(file)).toBe(true);
  });

  it("emptying and deleting a bucket leaves no key of it", async () => {
    await service.storage.createBucket("scratch");
    await service.storage.from("scratch").upload("a.txt", "à vider");
    expect(await s3.keys(`${PREFIX}scratch/`)).toHaveLength(1);
    await service.storage.emptyBucket("scratch");
    expect(await service.storage.deleteBucket("scratch")).toMatchObject({ error: null });
    // Emptying may finish after its answer (Supabase queues it); the keys follow the rows.
    for (let i = 0; i < 50 && (await s3.keys(`${PREFIX}scratch/`)).length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await s3.keys(`${PREFIX}scratch/`)).toEqual([]);
  });
});
