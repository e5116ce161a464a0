import { readdir } from "node:fs/promises";
import path from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { createTestDatabase } from "../harness/database.js";
import { EICAR, startClamd, type TestClamd } from "./clamd.js";
import { newUser, type StorageTestServer, startStorageServer } from "./helpers.js";

/** config.toml seeds `archive` from ./archive; groundwork.toml scans `inbox`, soft-deletes `archive`. */
const PROJECT = path.join(import.meta.dirname, "fixtures/lifecycle-project");
const SEEDED = {
  "été/naïve 🎉.txt": "Café naïve ✓ — première version\n",
  "日本/メモ.md": "# メモ\n\n日本語のメモ 🗾\n",
};

async function versionsOnDisk(root: string): Promise<Set<string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return new Set(entries.filter((e) => e.isFile() && !e.parentPath.includes(".partial")).map((e) => e.name));
}

// `groundwork storage quarantine|trash` and `groundwork db reset`'s bucket seeding, run as a user
// runs them, on the database of a running server.
describe("storage admin commands", () => {
  let clamd: TestClamd;
  let server: StorageTestServer;
  let service: SupabaseClient;
  const user = newUser();
  let asUser: SupabaseClient;
  let cliEnv: Record<string, string>;

  const storageCli = (...args: string[]) =>
    runCli(["storage", ...args, "--db-url", server.database.adminUrl, "--workdir", PROJECT], cliEnv);

  beforeAll(async () => {
    clamd = await startClamd();
    server = await startStorageServer({ projectDir: PROJECT, env: { CLAMD_SOCKET: clamd.socket } });
    cliEnv = { GROUNDWORK_STORAGE_PATH: server.storagePath };
    service = server.client(server.serviceRoleKey);
    asUser = await server.userClient(user);
    await server.database.query(`
      insert into storage.buckets (id, name) values ('inbox', 'inbox'), ('archive', 'archive') on conflict do nothing;
      create policy "own files" on storage.objects for all to authenticated
        using (owner_id = (select auth.uid()::text)) with check (owner_id = (select auth.uid()::text));`);
  });
  afterAll(async () => {
    await server?.close();
    await clamd?.stop();
  });

  it("lists, releases and deletes quarantined files", async () => {
    for (const name of [`${user}/facture été 🧾.com`, `${user}/日本/ウイルス.com`]) {
      const result = await asUser.storage.from("inbox").upload(name, EICAR);
      expect(result.error).toMatchObject({ statusCode: "422" });
    }
    const listed = await storageCli("quarantine", "list", "--json");
    expect(listed.code).toBe(0);
    const entries = JSON.parse(listed.stdout) as {
      id: string;
      name: string;
      signature: string;
      version: string;
    }[];
    expect(entries.map((e) => e.name).sort()).toEqual(
      [`${user}/facture été 🧾.com`, `${user}/日本/ウイルス.com`].sort(),
    );
    expect(entries.every((e) => e.signature.startsWith("Eicar-Test-Signature"))).toBe(true);

    const table = await storageCli("quarantine", "list", "--bucket", "inbox");
    expect(table.stdout).toContain("facture été 🧾.com");
    expect(table.stdout).toContain("ウイルス.com");
    expect((await storageCli("quarantine", "list", "--bucket", "archive")).stdout).toContain(
      "The quarantine is empty.",
    );

    const [keep, drop] = entries as [(typeof entries)[0], (typeof entries)[0]];
    const released = await storageCli("quarantine", "release", keep.id);
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`Released inbox/${keep.name}.`);
    expect(await (await service.storage.from("inbox").download(keep.name)).data?.text()).toBe(EICAR);

    const deleted = await storageCli("quarantine", "delete", drop.id);
    expect(deleted.code).toBe(0);
    expect((await versionsOnDisk(server.storagePath)).has(drop.version)).toBe(false);
    expect(JSON.parse((await storageCli("quarantine", "list", "--json")).stdout)).toEqual([]);

    const again = await storageCli("quarantine", "delete", drop.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no entry with that id");
    const bad = await storageCli("quarantine", "release", "not-an-id");
    expect(bad.code).toBe(2);
    const audit = await server.database.query(
      "select op::text, user_agent from groundwork.audit_log where record ->> 'released' = $1",
      [keep.id],
    );
    expect(audit.rows).toEqual([{ op: "UPLOAD", user_agent: "groundwork cli" }]);
  }, 120_000);

  it("lists, restores and purges soft-deleted objects", async () => {
    const name = `${user}/brouillon ✏️.txt`;
    expect((await asUser.storage.from("archive").upload(name, "brouillon ✓")).error).toBeNull();
    expect((await asUser.storage.from("archive").remove([name])).error).toBeNull();

    const listed = JSON.parse((await storageCli("trash", "list", "--json")).stdout) as {
      id: string;
      name: string;
      version: string;
      deleted_by: string;
    }[];
    expect(listed).toMatchObject([{ name, deleted_by: user }]);
    const [entry] = listed as [(typeof listed)[0]];
    expect((await storageCli("trash", "list")).stdout).toContain("brouillon ✏️.txt");

    const restored = await storageCli("trash", "restore", entry.id);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`Restored archive/${name}.`);
    expect(await (await asUser.storage.from("archive").download(name)).data?.text()).toBe("brouillon ✓");

    expect((await asUser.storage.from("archive").remove([name])).error).toBeNull();
    const [again] = JSON.parse((await storageCli("trash", "list", "--json")).stdout) as { id: string }[];
    // Not due for 30 days; due by a date past them.
    const notYet = await storageCli("trash", "purge", "--due", "--json");
    expect(JSON.parse(notYet.stdout)).toEqual({ purged: [] });
    const asOf = new Date(Date.now() + 31 * 24 * 60 * 60 * 1000).toISOString();
    const dryRun = await storageCli("trash", "purge", "--due", "--as-of", asOf, "--dry-run");
    expect(dryRun.stdout).toContain("Would purge 1 soft-deleted object(s) (dry run: nothing purged).");
    expect(dryRun.stdout).toContain(`archive/${name}`);
    const purged = await storageCli("trash", "purge", "--due", "--as-of", asOf, "--json");
    expect(JSON.parse(purged.stdout)).toEqual({ purged: [again?.id] });
    expect((await versionsOnDisk(server.storagePath)).has(entry.version)).toBe(false);
    expect((await storageCli("trash", "list")).stdout).toContain("The trash is empty.");

    const missing = await storageCli("trash", "purge", entry.id);
    expect(missing.code).toBe(1);
    expect((await storageCli("trash", "purge")).code).toBe(2);
    expect((await storageCli("trash", "purge", entry.id, "--due")).code).toBe(2);
  }, 120_000);

  it("db reset seeds config.toml's buckets and files again, on a database a server is using", async () => {
    const before = await server.database.query<{ version: string }>("select version from storage.objects");
    expect(before.rows.length).toBeGreaterThan(0);
    const reset = await runCli(
      ["db", "reset", "--db-url", server.database.adminUrl, "--workdir", PROJECT],
      cliEnv,
      120_000,
    );
    expect(reset.stderr).toContain("Seeding storage buckets");
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain("2 bucket(s) with 2 file(s)");

    const buckets = await server.database.query(
      "select id, public, file_size_limit, allowed_mime_types from storage.buckets order by id",
    );
    expect(buckets.rows).toEqual([
      {
        id: "archive",
        public: false,
        file_size_limit: String(1024 * 1024),
        allowed_mime_types: ["text/plain", "text/markdown"],
      },
      { id: "inbox", public: false, file_size_limit: null, allowed_mime_types: null },
    ]);
    // The running server serves the seeded files.
    for (const [name, text] of Object.entries(SEEDED)) {
      const download = await service.storage.from("archive").download(name);
      expect(await download.data?.text()).toBe(text);
    }
    // The bytes of the objects the old database held went with it.
    const onDisk = await versionsOnDisk(server.storagePath);
    expect(before.rows.filter((row) => onDisk.has(row.version))).toEqual([]);
    const after = await server.database.query<{ version: string }>("select version from storage.objects");
    expect(after.rows.every((row) => onDisk.has(row.version))).toBe(true);
  }, 180_000);

  it("db reset seeds the buckets on a database no server is running on", async () => {
    const database = await createTestDatabase("platform");
    try {
      const reset = await runCli(
        ["db", "reset", "--db-url", database.adminUrl, "--workdir", PROJECT],
        cliEnv,
        120_000,
      );
      expect(reset.code).toBe(0);
      const objects = await database.query(
        "select name, metadata ->> 'mimetype' as mimetype from storage.objects where bucket_id = 'archive' order by name collate \"C\"",
      );
      expect(objects.rows).toEqual([
        { name: "été/naïve 🎉.txt", mimetype: "text/plain" },
        { name: "日本/メモ.md", mimetype: "text/markdown" },
      ]);
    } finally {
      await database.drop();
    }
  }, 180_000);
});
