import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EICAR, startClamd, type TestClamd } from "./clamd.js";
import { http, newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

const PROJECT = path.join(import.meta.dirname, "fixtures/scan-project");

// Groundwork's checks beyond Supabase: the real type from the bytes, ClamAV with a quarantine,
// the scanner being down, and the file audit.
describe("file security", () => {
  let clamd: TestClamd;
  let server: StorageTestServer;
  let service: SupabaseClient;
  let asUser: SupabaseClient;
  const user = newUser();
  let png: Buffer;
  let jpeg: Buffer;

  beforeAll(async () => {
    clamd = await startClamd();
    server = await startStorageServer({ projectDir: PROJECT, env: { CLAMD_SOCKET: clamd.socket } });
    service = server.client(server.serviceRoleKey);
    asUser = await server.userClient(user);
    await server.database.query(`
      create policy "all own" on storage.objects for all to authenticated
        using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text));
      insert into storage.buckets (id, name, public, allowed_mime_types)
        values ('photos', 'photos', true, '{image/png,image/jpeg,image/webp,image/gif}'),
               ('uploads', 'uploads', false, null), ('lenient', 'lenient', false, null)
        on conflict do nothing;`);
    png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#ff0000" } })
      .png()
      .toBuffer();
    jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#00ff00" } })
      .jpeg()
      .toBuffer();
  });
  afterAll(async () => {
    await server?.close();
    await clamd?.stop();
  });

  describe("content, not headers", () => {
    it("accepts an image whose bytes are what it says", async () => {
      const result = await asUser.storage
        .from("photos")
        .upload(`${user}/red.png`, png, { contentType: "image/png" });
      expect(result.error).toBeNull();
    });

    it("refuses text declared as an image, naming both types", async () => {
      const result = await asUser.storage
        .from("photos")
        .upload(`${user}/fake.png`, Buffer.from("<?php echo 'hi'; ?>"), { contentType: "image/png" });
      expect(result.error).toMatchObject({ statusCode: "415" });
      expect(result.error?.message).toBe(
        "mime type image/png does not match the file's content (unknown binary content)",
      );
      expect((await asUser.storage.from("photos").exists(`${user}/fake.png`)).data).toBe(false);
    });

    it("refuses a JPEG declared as PNG and a PDF declared as an image", async () => {
      const jpegAsPng = await asUser.storage
        .from("photos")
        .upload(`${user}/j.png`, jpeg, { contentType: "image/png" });
      expect(jpegAsPng.error?.message).toBe(
        "mime type image/png does not match the file's content (image/jpeg)",
      );
      const pdf = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
      const pdfAsJpeg = await asUser.storage
        .from("photos")
        .upload(`${user}/p.jpg`, pdf, { contentType: "image/jpeg" });
      expect(pdfAsJpeg.error?.message).toBe(
        "mime type image/jpeg does not match the file's content (application/pdf)",
      );
    });

    it("refuses a declared type the bucket does not allow, before any byte", async () => {
      const result = await asUser.storage
        .from("photos")
        .upload(`${user}/a.txt`, "text", { contentType: "text/plain" });
      expect(result.error).toMatchObject({
        statusCode: "415",
        message: "mime type text/plain is not supported",
      });
    });
  });

  describe("virus scanning", () => {
    it("stores a clean file marked clean", async () => {
      const result = await asUser.storage
        .from("uploads")
        .upload(`${user}/clean.txt`, "nothing to see here ✓");
      expect(result.error).toBeNull();
      const { rows } = await server.database.query("select metadata from storage.objects where name = $1", [
        `${user}/clean.txt`,
      ]);
      expect(rows[0]?.metadata.scanStatus).toBe("clean");
    });

    it("quarantines the EICAR test file: no object, a quarantine entry, an audit entry", async () => {
      const result = await asUser.storage.from("uploads").upload(`${user}/eicar.com`, EICAR);
      expect(result.error).toMatchObject({ statusCode: "422" });
      expect(result.error?.message).toBe(
        "The file is infected (Eicar-Test-Signature.UNOFFICIAL) and was quarantined",
      );
      expect((await asUser.storage.from("uploads").exists(`${user}/eicar.com`)).data).toBe(false);
      const listed = await http(server, "GET", "/quarantine", { token: server.serviceRoleKey });
      const entries = (await listed.json()) as {
        id: string;
        name: string;
        signature: string;
        owner_id: string;
      }[];
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        name: `${user}/eicar.com`,
        owner_id: user,
        signature: "Eicar-Test-Signature.UNOFFICIAL",
      });
      const denied = await http(server, "GET", "/quarantine", { token: await server.userToken(user) });
      expect(denied.status).toBe(403);
      const { rows } = await server.database.query(
        "select op::text, auth_uid::text from groundwork.audit_log where op = 'QUARANTINE'",
      );
      expect(rows).toEqual([{ op: "QUARANTINE", auth_uid: user }]);
    });

    it("releases a quarantined file as the object, or deletes it", async () => {
      await asUser.storage.from("uploads").upload(`${user}/second.com`, EICAR);
      const entries = (await (
        await http(server, "GET", "/quarantine", { token: server.serviceRoleKey })
      ).json()) as {
        id: string;
        name: string;
      }[];
      const first = entries.find((entry) => entry.name === `${user}/eicar.com`);
      const second = entries.find((entry) => entry.name === `${user}/second.com`);
      const released = await http(server, "POST", `/quarantine/${first?.id}/release`, {
        token: server.serviceRoleKey,
      });
      expect(await released.json()).toMatchObject({ message: "Successfully released" });
      expect(await (await service.storage.from("uploads").download(`${user}/eicar.com`)).data?.text()).toBe(
        EICAR,
      );
      const deleted = await http(server, "DELETE", `/quarantine/${second?.id}`, {
        token: server.serviceRoleKey,
      });
      expect(await deleted.json()).toEqual({ message: "Successfully deleted" });
      expect(
        await (await http(server, "GET", "/quarantine", { token: server.serviceRoleKey })).json(),
      ).toEqual([]);
    });
  });

  describe("scanner unavailable", () => {
    it("refuses uploads to buckets that require scanning, accepts marked ones where allowed", async () => {
      const down = await startStorageServer({
        projectDir: PROJECT,
        env: { CLAMD_SOCKET: "/nonexistent/clamd.sock" },
      });
      try {
        await down.database.query(`
          create policy "all own" on storage.objects for all to authenticated
            using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text));
          insert into storage.buckets (id, name) values ('uploads', 'uploads'), ('lenient', 'lenient') on conflict do nothing;`);
        const client = await down.userClient(user);
        const refused = await client.storage.from("uploads").upload(`${user}/a.txt`, "a");
        expect(refused.error).toMatchObject({ status: 503, statusCode: "503" });
        const accepted = await client.storage.from("lenient").upload(`${user}/a.txt`, "a");
        expect(accepted.error).toBeNull();
        const { rows } = await down.database.query(
          "select metadata from storage.objects where bucket_id = 'lenient'",
        );
        expect(rows[0]?.metadata.scanStatus).toBe("not_scanned");
      } finally {
        await down.close();
      }
    });
  });

  describe("file audit", () => {
    it("records uploads, downloads (public and signed too), moves and removes with user and request", async () => {
      const name = `${user}/audited ✓.png`;
      await asUser.storage.from("photos").upload(name, png, { contentType: "image/png" });
      await asUser.storage.from("photos").download(name);
      await fetch(asUser.storage.from("photos").getPublicUrl(name).data.publicUrl);
      const signed = await asUser.storage.from("photos").createSignedUrl(name, 60);
      await fetch(signed.data?.signedUrl ?? "");
      await asUser.storage.from("photos").move(name, `${user}/moved.png`);
      await asUser.storage.from("photos").remove([`${user}/moved.png`]);
      const { rows } = await server.database.query(
        `select op::text, record ->> 'name' as name, record ->> 'via' as via, auth_uid::text, request_id is not null as has_request
         from groundwork.audit_log where table_name = 'objects' and record ->> 'name' in ($1, $2) order by id`,
        [name, `${user}/moved.png`],
      );
      expect(rows.map((row) => [row.op, row.via])).toEqual([
        ["UPLOAD", null],
        ["DOWNLOAD", "authenticated"],
        ["DOWNLOAD", "public"],
        ["DOWNLOAD", "signed"],
        ["MOVE", null],
        ["REMOVE", null],
      ]);
      expect(
        rows
          .filter((row) => row.op !== "DOWNLOAD" || row.via === "authenticated")
          .every((row) => row.auth_uid === user),
      ).toBe(true);
      expect(rows.every((row) => row.has_request)).toBe(true);
    });
  });
});
