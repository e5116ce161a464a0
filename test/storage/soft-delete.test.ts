import { readdir } from "node:fs/promises";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceDeps } from "../../src/services/service.js";
import { openStorageAdmin, storageService } from "../../src/services/storage/index.js";
import { http, newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

/** config.toml seeds `archive`; groundwork.toml gives it `soft_delete_days = 30`. */
const PROJECT = path.join(import.meta.dirname, "fixtures/lifecycle-project");
const DAY_MS = 24 * 60 * 60 * 1000;

interface TrashRow {
  id: string;
  object_id: string;
  bucket_id: string;
  name: string;
  version: string;
  deleted_by: string | null;
  deleted_at: Date;
  purge_after: Date;
}

/** The versions of bytes on disk under the storage folder (each version is a file named by it). */
async function versionsOnDisk(root: string): Promise<Set<string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return new Set(entries.filter((e) => e.isFile() && !e.parentPath.includes(".partial")).map((e) => e.name));
}

// Soft delete with retention, a groundwork extension: removed objects are hidden at once for
// everyone, their bytes kept until a restore or the purge.
describe("soft delete", () => {
  let server: StorageTestServer;
  let service: SupabaseClient;
  const alice = newUser();
  const bob = newUser();
  let asAlice: SupabaseClient;
  let asBob: SupabaseClient;
  const name = `${alice}/reçus/reçu 🧾 日本.txt`;

  const trash = async (where = "true"): Promise<TrashRow[]> =>
    (
      await server.database.query<TrashRow>(
        `select * from storage.groundwork_trash where ${where} order by deleted_at`,
      )
    ).rows;
  const serviceHttp = (method: string, pathname: string, body?: unknown) =>
    http(server, method, pathname, {
      token: server.serviceRoleKey,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startStorageServer({ projectDir: PROJECT });
    service = server.client(server.serviceRoleKey);
    asAlice = await server.userClient(alice);
    asBob = await server.userClient(bob);
    await server.database.query(`
      insert into storage.buckets (id, name, public) values ('archive', 'archive', false) on conflict do nothing;
      create policy "archive readable" on storage.objects for select to authenticated
        using (bucket_id = 'archive');
      create policy "archive own writes" on storage.objects for insert to authenticated
        with check (bucket_id = 'archive' and (storage.foldername(name))[1] = (select auth.uid()::text));
      create policy "archive own deletes" on storage.objects for delete to authenticated
        using (bucket_id = 'archive' and (storage.foldername(name))[1] = (select auth.uid()::text));`);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("hides a removed object at once from its owner, other readers and the service role", async () => {
    expect((await asAlice.storage.from("archive").upload(name, "première ✓")).error).toBeNull();
    const signed = await asAlice.storage.from("archive").createSignedUrl(name, 600);
    expect(signed.error).toBeNull();
    expect(await (await asBob.storage.from("archive").download(name)).data?.text()).toBe("première ✓");

    const removed = await asAlice.storage.from("archive").remove([name]);
    expect(removed.error).toBeNull();
    expect(removed.data?.map((o) => o.name)).toEqual([name]);

    for (const client of [asAlice, asBob, service]) {
      const bucket = client.storage.from("archive");
      const download = await bucket.download(name);
      expect(download.error).not.toBeNull();
      expect((await bucket.info(name)).error).not.toBeNull();
      expect((await bucket.exists(name)).data).toBe(false);
      expect((await bucket.createSignedUrl(name, 60)).error).toMatchObject({ message: "Object not found" });
      const list = await bucket.list(`${alice}/reçus`);
      expect(list.data?.map((o) => o.name)).toEqual([]);
    }
    // A URL signed before the remove no longer serves it either.
    const old = await fetch(signed.data?.signedUrl ?? "");
    expect(old.status).toBe(400);
    expect(await old.json()).toMatchObject({ statusCode: "404", code: "NoSuchKey" });

    const rows = await server.database.query("select 1 from storage.objects where name = $1", [name]);
    expect(rows.rowCount).toBe(0);
    const [entry] = await trash();
    expect(entry).toMatchObject({ bucket_id: "archive", name, deleted_by: alice });
    const retention = (entry?.purge_after.getTime() ?? 0) - (entry?.deleted_at.getTime() ?? 0);
    expect(retention).toBe(30 * DAY_MS);
    // The bytes stay for a restore, off the loose-blob ledger (no sweep deletes them).
    expect((await versionsOnDisk(server.storagePath)).has(entry?.version ?? "")).toBe(true);
    const ledger = await server.database.query(
      "select 1 from storage.groundwork_loose_blobs where version = $1",
      [entry?.version],
    );
    expect(ledger.rowCount).toBe(0);

    const audit = await server.database.query(
      `select auth_uid::text, record from groundwork.audit_log where op = 'REMOVE' and record ->> 'name' = $1`,
      [name],
    );
    expect(audit.rows).toEqual([
      {
        auth_uid: alice,
        record: {
          bucket_id: "archive",
          name,
          version: entry?.version,
          soft_delete: true,
          retention_days: 30,
        },
      },
    ]);
  });

  it("takes a new upload at the same path, and keeps each removed version", async () => {
    const again = await asAlice.storage.from("archive").upload(name, "deuxième ✓");
    expect(again.error).toBeNull();
    expect(await (await asBob.storage.from("archive").download(name)).data?.text()).toBe("deuxième ✓");
    expect((await asAlice.storage.from("archive").remove([name])).error).toBeNull();
    const entries = await trash(`name = '${name.replaceAll("'", "''")}'`);
    expect(entries).toHaveLength(2);
    expect(new Set(entries.map((e) => e.version)).size).toBe(2);
  });

  it("lists and restores for the service role only, never over an object that holds the path", async () => {
    const denied = await http(server, "GET", "/trash", { token: await server.userToken(alice) });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ statusCode: "403", code: "AccessDenied" });

    const listed = (await (await serviceHttp("GET", "/trash?bucket=archive")).json()) as TrashRow[];
    expect(listed.map((e) => e.name)).toEqual([name, name]);
    const first = (await trash())[0] as TrashRow;
    expect(listed[1]?.id).toBe(first.id);

    expect((await asAlice.storage.from("archive").upload(name, "troisième ✓")).error).toBeNull();
    const refused = await serviceHttp("POST", `/trash/${first.id}/restore`, {});
    expect(await refused.json()).toMatchObject({ statusCode: "409", code: "KeyAlreadyExists" });
    expect((await asAlice.storage.from("archive").remove([name])).error).toBeNull();

    const restored = await serviceHttp("POST", `/trash/${first.id}/restore`, {});
    expect(await restored.json()).toEqual({ message: "Successfully restored", Key: `archive/${name}` });
    expect(await (await asBob.storage.from("archive").download(name)).data?.text()).toBe("première ✓");
    const info = await asAlice.storage.from("archive").info(name);
    expect(info.data?.id).toBe(first.object_id);
    expect(await trash(`id = '${first.id}'`)).toEqual([]);

    const twice = await serviceHttp("POST", `/trash/${first.id}/restore`, {});
    expect(await twice.json()).toMatchObject({ statusCode: "404", code: "NoSuchKey" });
    const audit = await server.database.query(
      "select record ->> 'trash' as trash from groundwork.audit_log where op = 'RESTORE'",
    );
    expect(audit.rows).toEqual([{ trash: first.id }]);
  });

  it("takes soft_delete_days through the bucket API for buckets made at runtime", async () => {
    const made = await serviceHttp("POST", "/bucket", { id: "runtime", soft_delete_days: 7 });
    expect(await made.json()).toEqual({ name: "runtime" });
    for (const bad of [-1, "7", 1.5, 1e9]) {
      const response = await serviceHttp("PUT", "/bucket/runtime", { soft_delete_days: bad });
      expect(await response.json()).toMatchObject({ statusCode: "400", code: "InvalidParameter" });
    }
    // The bucket keeps Supabase's shape.
    const bucket = await service.storage.getBucket("runtime");
    expect(Object.keys(bucket.data ?? {}).sort()).toEqual(
      [
        "allowed_mime_types",
        "created_at",
        "file_size_limit",
        "id",
        "name",
        "owner",
        "public",
        "type",
        "updated_at",
      ].sort(),
    );

    const files = service.storage.from("runtime");
    await files.upload("a/un.txt", "un ✓");
    await files.upload("a/deux.txt", "deux ✓");
    expect((await files.remove(["a/un.txt"])).error).toBeNull();
    const [kept] = await trash("bucket_id = 'runtime'");
    expect((kept?.purge_after.getTime() ?? 0) - (kept?.deleted_at.getTime() ?? 0)).toBe(7 * DAY_MS);

    // emptyBucket soft-deletes too.
    expect((await service.storage.emptyBucket("runtime")).error).toBeNull();
    expect((await trash("bucket_id = 'runtime'")).map((e) => e.name).sort()).toEqual([
      "a/deux.txt",
      "a/un.txt",
    ]);

    // 0 turns it off: removes delete rows and bytes at once, as in a bucket that never had it.
    await serviceHttp("PUT", "/bucket/runtime", { soft_delete_days: 0 });
    await files.upload("b/trois.txt", "trois ✓");
    await service.storage.createBucket("plain");
    await service.storage.from("plain").upload("quatre.txt", "quatre ✓");
    const versions = (
      await server.database.query(
        "select version from storage.objects where bucket_id in ('runtime', 'plain')",
      )
    ).rows.map((r) => r.version as string);
    expect(versions).toHaveLength(2);
    expect((await files.remove(["b/trois.txt"])).data).toHaveLength(1);
    expect((await service.storage.from("plain").remove(["quatre.txt"])).data).toHaveLength(1);
    expect(await trash("name in ('b/trois.txt', 'quatre.txt')")).toEqual([]);
    const onDisk = await versionsOnDisk(server.storagePath);
    expect(versions.filter((v) => onDisk.has(v))).toEqual([]);

    // An emptied bucket can be deleted; its trash stays (purged later) but cannot be restored.
    expect(await service.storage.deleteBucket("runtime")).toEqual({
      data: { message: "Successfully deleted" },
      error: null,
    });
    const settings = await server.database.query(
      "select 1 from storage.groundwork_bucket_settings where bucket_id = 'runtime'",
    );
    expect(settings.rowCount).toBe(0);
    const orphan = await serviceHttp("POST", `/trash/${kept?.id}/restore`, {});
    expect(await orphan.json()).toMatchObject({ statusCode: "404", code: "NoSuchBucket" });
    expect(await trash("bucket_id = 'runtime'")).toHaveLength(2);
  });

  it("purges after the retention: each bucket's own, each entry once across processes", async () => {
    const before = await trash();
    const archive = before.filter((e) => e.bucket_id === "archive");
    const runtime = before.filter((e) => e.bucket_id === "runtime");
    expect(archive).toHaveLength(2);
    expect(runtime).toHaveLength(2);

    const one = openStorageAdmin(server.config, server.database.adminUrl);
    const two = openStorageAdmin(server.config, server.database.adminUrl);
    try {
      // Eight days on: the 7-day bucket's entries are due, the 30-day bucket's are not.
      const week = await one.purgeTrash({ dueBy: new Date(Date.now() + 8 * DAY_MS) });
      expect(week.map((e) => e.id).sort()).toEqual(runtime.map((e) => e.id).sort());
      // Two processes purging at once share the work; no entry is purged twice.
      const later = new Date(Date.now() + 31 * DAY_MS);
      const [a, b] = await Promise.all([one.purgeTrash({ dueBy: later }), two.purgeTrash({ dueBy: later })]);
      const ids = [...a, ...b].map((e) => e.id).sort();
      expect(ids).toEqual(archive.map((e) => e.id).sort());
    } finally {
      await one.close();
      await two.close();
    }
    expect(await trash()).toEqual([]);
    const onDisk = await versionsOnDisk(server.storagePath);
    expect(before.filter((e) => onDisk.has(e.version))).toEqual([]);
    const audit = await server.database.query(
      "select record ->> 'trash' as id from groundwork.audit_log where op = 'PURGE' order by 1",
    );
    expect(audit.rows.map((r) => r.id)).toEqual(before.map((e) => e.id).sort());
    // The restored object is untouched.
    expect(await (await asBob.storage.from("archive").download(name)).data?.text()).toBe("première ✓");
  });

  it("purges what is due in the storage service's periodic sweep", async () => {
    const doomed = `${alice}/adieu 👋.txt`;
    await asAlice.storage.from("archive").upload(doomed, "adieu");
    await asAlice.storage.from("archive").remove([doomed]);
    const [entry] = await trash();
    expect(entry?.name).toBe(doomed);
    await server.database.query(
      "update storage.groundwork_trash set purge_after = now() - interval '1 second'",
    );
    // The sweep runs shortly after start: start another server's worth of it on this database.
    const deps = { config: server.config, db: server.db, log: server.app.log } as unknown as ServiceDeps;
    const running = await storageService.start?.(deps);
    try {
      const deadline = Date.now() + 20_000;
      while ((await trash()).length > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
    } finally {
      await running?.stop();
    }
    expect(await trash()).toEqual([]);
    expect((await versionsOnDisk(server.storagePath)).has(entry?.version ?? "")).toBe(false);
    const audit = await server.database.query(
      "select request_id, user_agent from groundwork.audit_log where op = 'PURGE' and record ->> 'trash' = $1",
      [entry?.id],
    );
    expect(audit.rows).toEqual([{ request_id: "sweep", user_agent: "groundwork storage sweep" }]);
  });
});
