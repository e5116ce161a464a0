import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, newUser, ownFolderPolicies, type StorageTestServer, startStorageServer } from "./helpers.js";

const execFileAsync = promisify(execFile);

// Every storage-js call through an unmodified supabase-js, under RLS as several users.
describe("storage through supabase-js", () => {
  let server: StorageTestServer;
  let service: SupabaseClient;
  let anon: SupabaseClient;
  const alice = newUser();
  const bob = newUser();
  let asAlice: SupabaseClient;
  let asBob: SupabaseClient;

  beforeAll(async () => {
    server = await startStorageServer();
    service = server.client(server.serviceRoleKey);
    anon = server.client();
    asAlice = await server.userClient(alice);
    asBob = await server.userClient(bob);
    await server.database.query(`
      ${ownFolderPolicies("docs")}
      create policy "avatars public read" on storage.objects for select to anon, authenticated
        using (bucket_id = 'avatars');
      create policy "buckets readable" on storage.buckets for select to authenticated using (true);`);
  });
  afterAll(async () => {
    await server.close();
  });

  describe("buckets", () => {
    it("creates, gets, lists, updates, empties and deletes buckets as service_role", async () => {
      expect(await service.storage.createBucket("docs", { public: false, fileSizeLimit: "1MB" })).toEqual({
        data: { name: "docs" },
        error: null,
      });
      await service.storage.createBucket("avatars", { public: true, allowedMimeTypes: ["image/*"] });
      await service.storage.createBucket("scratch");
      const docs = await service.storage.getBucket("docs");
      expect(docs.data).toMatchObject({
        id: "docs",
        name: "docs",
        public: false,
        file_size_limit: 1024 * 1024,
      });
      const list = await service.storage.listBuckets();
      // The example project's config.toml seeds `attachments` too.
      expect(
        list.data
          ?.map((b) => b.id)
          .filter((id) => id !== "attachments")
          .sort(),
      ).toEqual(["avatars", "docs", "scratch"]);
      const updated = await service.storage.updateBucket("scratch", {
        public: true,
        allowedMimeTypes: ["text/plain"],
      });
      expect(updated).toEqual({ data: { message: "Successfully updated" }, error: null });
      expect((await service.storage.getBucket("scratch")).data).toMatchObject({
        public: true,
        allowed_mime_types: ["text/plain"],
      });
      await service.storage.from("scratch").upload("a.txt", "hello");
      const notEmpty = await service.storage.deleteBucket("scratch");
      expect(notEmpty.error?.message).toBe("The bucket you tried to delete is not empty");
      expect(await service.storage.emptyBucket("scratch")).toEqual({
        data: { message: "Empty bucket has been queued. Completion may take up to an hour." },
        error: null,
      });
      expect(await service.storage.deleteBucket("scratch")).toEqual({
        data: { message: "Successfully deleted" },
        error: null,
      });
      const gone = await service.storage.getBucket("scratch");
      expect(gone.error).toMatchObject({ message: "Bucket not found", status: 400, statusCode: "404" });
    });

    it("refuses bucket writes without a policy and bad names", async () => {
      const denied = await asAlice.storage.createBucket("mine");
      expect(denied.error).toMatchObject({ status: 400, statusCode: "403" });
      expect(denied.error?.message).toBe("new row violates row-level security policy");
      const bad = await service.storage.createBucket("../etc");
      expect(bad.error).toMatchObject({ message: "Bucket name invalid", statusCode: "400" });
      const duplicate = await service.storage.createBucket("docs");
      expect(duplicate.error).toMatchObject({ statusCode: "409" });
      const badSize = await service.storage.createBucket("sized", {
        public: false,
        fileSizeLimit: "20 parsecs",
      });
      expect(badSize.error?.message).toBe("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
    });

    it("lists with search and sort", async () => {
      const found = await asAlice.storage.listBuckets({ search: "doc" });
      expect(found.data?.map((b) => b.id)).toEqual(["docs"]);
      const sorted = await asAlice.storage.listBuckets({ sortColumn: "name", sortOrder: "desc" });
      expect(sorted.data?.map((b) => b.id).filter((id) => id !== "attachments")).toEqual(["docs", "avatars"]);
    });
  });

  describe("objects under RLS", () => {
    it("uploads into the caller's own folder only", async () => {
      const mine = await asAlice.storage.from("docs").upload(`${alice}/notes/été 🎉.txt`, "bonjour 🎉 日本");
      expect(mine.error).toBeNull();
      expect(mine.data).toMatchObject({
        path: `${alice}/notes/été 🎉.txt`,
        fullPath: `docs/${alice}/notes/été 🎉.txt`,
      });
      const theirs = await asBob.storage.from("docs").upload(`${alice}/intruder.txt`, "x");
      expect(theirs.error).toMatchObject({
        statusCode: "403",
        message: "new row violates row-level security policy",
      });
      const anonymous = await anon.storage.from("docs").upload("x.txt", "x");
      expect(anonymous.error).toMatchObject({ statusCode: "403" });
    });

    it("downloads, reads info, checks existence, each user seeing only their own", async () => {
      const name = `${alice}/notes/été 🎉.txt`;
      const download = await asAlice.storage.from("docs").download(name);
      expect(await download.data?.text()).toBe("bonjour 🎉 日本");
      const hidden = await asBob.storage.from("docs").download(name);
      expect(hidden.error).not.toBeNull();
      expect(await asAlice.storage.from("docs").exists(name)).toMatchObject({ data: true });
      expect(await asBob.storage.from("docs").exists(name)).toMatchObject({ data: false });
      const info = await asAlice.storage.from("docs").info(name);
      expect(info.data).toMatchObject({ name, bucketId: "docs", size: Buffer.byteLength("bonjour 🎉 日本") });
      expect(info.data?.contentType).toBe("text/plain;charset=UTF-8");
    });

    it("refuses a duplicate upload with 409 and overwrites with upsert", async () => {
      const name = `${alice}/dup.txt`;
      await asAlice.storage.from("docs").upload(name, "one");
      const again = await asAlice.storage.from("docs").upload(name, "two");
      expect(again.error).toMatchObject({ statusCode: "409", message: "The resource already exists" });
      const upsert = await asAlice.storage.from("docs").upload(name, "three", { upsert: true });
      expect(upsert.error).toBeNull();
      expect(await (await asAlice.storage.from("docs").download(name)).data?.text()).toBe("three");
      const update = await asAlice.storage
        .from("docs")
        .update(name, new Blob(["four"]), { contentType: "text/plain" });
      expect(update.error).toBeNull();
      expect(await (await asAlice.storage.from("docs").download(name)).data?.text()).toBe("four");
    });

    it("lists folders and files one level down, with sort and search", async () => {
      await asAlice.storage.from("docs").upload(`${alice}/notes/b.txt`, "b");
      await asAlice.storage.from("docs").upload(`${alice}/notes/deep/c.txt`, "c");
      const top = await asAlice.storage.from("docs").list(alice);
      expect(top.data?.map((e) => e.name)).toEqual(["dup.txt", "notes"]);
      const folder = top.data?.find((e) => e.name === "notes");
      expect(folder).toMatchObject({ id: null, metadata: null });
      const notes = await asAlice.storage
        .from("docs")
        .list(`${alice}/notes`, { sortBy: { column: "name", order: "desc" } });
      expect(notes.data?.map((e) => e.name)).toEqual(["été 🎉.txt", "deep", "b.txt"]);
      const searched = await asAlice.storage.from("docs").list(`${alice}/notes`, { search: "É" });
      expect(searched.data?.map((e) => e.name)).toEqual(["été 🎉.txt"]);
      const limited = await asAlice.storage.from("docs").list(`${alice}/notes`, { limit: 1, offset: 1 });
      expect(limited.data?.map((e) => e.name)).toEqual(["deep"]);
      expect((await asBob.storage.from("docs").list(alice)).data).toEqual([]);
    });

    it("moves and copies, within and across buckets", async () => {
      await asAlice.storage.from("docs").upload(`${alice}/m.txt`, "move me");
      const moved = await asAlice.storage.from("docs").move(`${alice}/m.txt`, `${alice}/moved/m.txt`);
      expect(moved.error).toBeNull();
      expect(moved.data?.message).toBe("Successfully moved");
      expect(await (await asAlice.storage.from("docs").download(`${alice}/moved/m.txt`)).data?.text()).toBe(
        "move me",
      );
      expect((await asAlice.storage.from("docs").exists(`${alice}/m.txt`)).data).toBe(false);
      const copied = await asAlice.storage.from("docs").copy(`${alice}/moved/m.txt`, `${alice}/copy.txt`);
      expect(copied.data).toEqual({ path: `docs/${alice}/copy.txt` });
      expect(await (await asAlice.storage.from("docs").download(`${alice}/copy.txt`)).data?.text()).toBe(
        "move me",
      );
      const stolen = await asBob.storage.from("docs").copy(`${alice}/copy.txt`, `${bob}/stolen.txt`);
      expect(stolen.error).toMatchObject({ statusCode: "404" });
      const across = await service.storage
        .from("docs")
        .copy(`${alice}/copy.txt`, "copied.txt", { destinationBucket: "avatars" });
      expect(across.error).toBeNull();
      expect(await (await anon.storage.from("avatars").download("copied.txt")).data?.text()).toBe("move me");
    });

    it("removes only what the caller may delete", async () => {
      await asAlice.storage.from("docs").upload(`${alice}/r1.txt`, "1");
      await asAlice.storage.from("docs").upload(`${alice}/r2.txt`, "2");
      const byBob = await asBob.storage.from("docs").remove([`${alice}/r1.txt`]);
      expect(byBob.data).toEqual([]);
      const removed = await asAlice.storage
        .from("docs")
        .remove([`${alice}/r1.txt`, `${alice}/r2.txt`, `${alice}/none`]);
      expect(removed.data?.map((o) => o.name).sort()).toEqual([`${alice}/r1.txt`, `${alice}/r2.txt`]);
      expect((await asAlice.storage.from("docs").exists(`${alice}/r1.txt`)).data).toBe(false);
    });
  });

  describe("public and signed URLs", () => {
    it("serves public buckets by URL and refuses private ones", async () => {
      const png = Buffer.from(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
        "base64",
      );
      const up = await service.storage.from("avatars").upload("dot.png", png, { contentType: "image/png" });
      expect(up.error).toBeNull();
      const { data } = anon.storage.from("avatars").getPublicUrl("dot.png");
      const response = await fetch(data.publicUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
      const privateUrl = anon.storage.from("docs").getPublicUrl(`${alice}/dup.txt`).data.publicUrl;
      const refused = await fetch(privateUrl);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ statusCode: "404", error: "Bucket not found" });
      const attachment = await fetch(
        anon.storage.from("avatars").getPublicUrl("dot.png", { download: "ça.png" }).data.publicUrl,
      );
      expect(attachment.headers.get("content-disposition")).toBe(
        "attachment; filename=%C3%A7a.png; filename*=UTF-8''%C3%A7a.png",
      );
    });

    it("signs download URLs for readable objects; tampered and expired tokens fail", async () => {
      const name = `${alice}/notes/été 🎉.txt`;
      const signed = await asAlice.storage.from("docs").createSignedUrl(name, 60);
      expect(signed.error).toBeNull();
      const ok = await fetch(signed.data?.signedUrl ?? "");
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe("bonjour 🎉 日本");
      const refused = await asBob.storage.from("docs").createSignedUrl(name, 60);
      expect(refused.error).toMatchObject({ statusCode: "404" });
      const url = new URL(signed.data?.signedUrl ?? "");
      const token = url.searchParams.get("token") ?? "";
      url.searchParams.set("token", `${token.slice(0, -2)}xx`);
      const tampered = await fetch(url);
      expect(tampered.status).toBe(400);
      expect(await tampered.json()).toMatchObject({ statusCode: "400", code: "InvalidJWT" });
      const other = new URL(signed.data?.signedUrl ?? "");
      other.pathname = other.pathname.replace("notes", "other");
      expect(await (await fetch(other)).json()).toMatchObject({
        code: "InvalidSignature",
        message: "Invalid signature",
      });
      const short = await asAlice.storage.from("docs").createSignedUrl(name, 1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const expired = await fetch(short.data?.signedUrl ?? "");
      expect(await expired.json()).toMatchObject({
        code: "InvalidJWT",
        message: '"exp" claim timestamp check failed',
      });
      const many = await asAlice.storage.from("docs").createSignedUrls([name, `${alice}/none.txt`], 60);
      expect(many.data?.[0]?.signedUrl).toContain("/object/sign/docs/");
      expect(many.data?.[1]).toMatchObject({
        error: "Either the object does not exist or you do not have access to it",
        signedUrl: null,
      });
    });

    it("signed upload URLs: the probe at signing, the upload by token", async () => {
      const name = `${alice}/signed-up.txt`;
      const sign = await asAlice.storage.from("docs").createSignedUploadUrl(name);
      expect(sign.error).toBeNull();
      const put = await anon.storage
        .from("docs")
        .uploadToSignedUrl(name, sign.data?.token ?? "", "via token");
      expect(put.error).toBeNull();
      expect(put.data?.fullPath).toBe(`docs/${name}`);
      expect(await (await asAlice.storage.from("docs").download(name)).data?.text()).toBe("via token");
      const denied = await asBob.storage.from("docs").createSignedUploadUrl(`${alice}/x.txt`);
      expect(denied.error).toMatchObject({ statusCode: "403" });
      const wrongPath = await anon.storage
        .from("docs")
        .uploadToSignedUrl(`${alice}/other.txt`, sign.data?.token ?? "", "x");
      expect(wrongPath.error).toMatchObject({ statusCode: "400", message: "Invalid signature" });
    });
  });

  describe("wire details", () => {
    it("delivers refusals of uploads still being sent: 415 and 413, never a failed fetch", async () => {
      // Refused before their bodies are read, while the client (another process, as in real use)
      // is still sending: the answer must reach it rather than a reset connection.
      await service.storage.createBucket("typed", {
        public: false,
        allowedMimeTypes: ["image/png"],
        fileSizeLimit: "1MB",
      });
      const script = `
        import { createClient } from "@supabase/supabase-js";
        import WebSocket from "ws";
        const client = createClient(process.env.URL, process.env.KEY, {
          auth: { persistSession: false }, realtime: { transport: WebSocket } });
        const codes = [];
        for (let attempt = 0; attempt < 15; attempt++) {
          const { error } = await client.storage.from("typed")
            .upload("note-" + attempt + ".txt", new Blob(["texte ✍️ " + attempt], { type: "text/plain" }));
          codes.push(error?.statusCode ?? error?.message ?? null);
        }
        for (let attempt = 0; attempt < 5; attempt++) {
          const { error } = await client.storage.from("typed")
            .upload("big-" + attempt + ".png", new Uint8Array(3 * 1024 * 1024), { contentType: "image/png" });
          codes.push(error?.statusCode ?? error?.message ?? null);
        }
        console.log(JSON.stringify(codes));`;
      const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
        cwd: process.cwd(),
        env: { ...process.env, URL: server.url, KEY: server.serviceRoleKey },
      });
      const codes = JSON.parse(stdout.trim().split("\n").pop() ?? "[]");
      expect(codes).toEqual([...Array(15).fill("415"), ...Array(5).fill("413")]);
      expect(
        (await server.database.query("select 1 from storage.objects where bucket_id = 'typed'")).rowCount,
      ).toBe(0);
    });

    it("serves Range requests with 206 and refuses unsatisfiable ones with 416", async () => {
      const token = await server.userToken(alice);
      await asAlice.storage.from("docs").upload(`${alice}/range.txt`, "0123456789");
      const partial = await http(server, "GET", `/object/docs/${alice}/range.txt`, {
        token,
        headers: { range: "bytes=2-5" },
      });
      expect(partial.status).toBe(206);
      expect(partial.headers.get("content-range")).toBe("bytes 2-5/10");
      expect(await partial.text()).toBe("2345");
      const bad = await http(server, "GET", `/object/docs/${alice}/range.txt`, {
        token,
        headers: { range: "bytes=50-" },
      });
      expect(bad.status).toBe(416);
      expect(await bad.json()).toMatchObject({ statusCode: "416", code: "InvalidRange" });
    });

    it("answers an expired user token with AccessDenied in Storage's shape", async () => {
      const expired = await server.userToken(alice, { exp: Math.floor(Date.now() / 1000) - 3600 });
      const response = await http(server, "GET", "/bucket", { token: expired });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: "403",
        code: "AccessDenied",
        error: "Unauthorized",
        message: '"exp" claim timestamp check failed',
      });
    });
  });
});
