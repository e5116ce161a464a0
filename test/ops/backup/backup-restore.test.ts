import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../../../src/db/database-url.js";
import { backupDatabase } from "../../../src/ops/backup/backup.js";
import { databaseChecksums } from "../../../src/ops/backup/checksums.js";
import {
  BackupFileError,
  RestoreMismatchError,
  restoreDatabase,
  TargetNotEmptyError,
} from "../../../src/ops/backup/restore.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";

/** A fresh empty database on the remote cluster. */
async function remoteDatabase(remote: RemoteCluster, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: remote.url });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return withDatabase(remote.url, name);
}

async function checksumsAt(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await databaseChecksums(client);
  } finally {
    await client.end();
  }
}

/**
 * The backup's lines with the first row of `table` rewritten by `edit`, which gets and returns the
 * row's composite text form, e.g. `(1,00000000-...,Acme)`.
 */
function editRow(source: string, target: string, table: string, edit: (row: string) => string): void {
  const lines = readFileSync(source, "utf8").split("\n");
  const header = lines.findIndex(
    (line) => line.startsWith('{"kind":"table"') && line.includes(`"name":"${table}"`),
  );
  lines[header + 1] = JSON.stringify(edit(JSON.parse(lines[header + 1] ?? "") as string));
  writeFileSync(target, lines.join("\n"));
}

describe("db backup / db restore against a second cluster", () => {
  let source: TestDatabase;
  let remote: RemoteCluster;
  let file: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-backup-"));

  beforeAll(async () => {
    [source, remote] = await Promise.all([createTestDatabase("crm"), startRemoteCluster()]);
    const result = await backupDatabase(source.adminUrl, { backupsDir: dir });
    file = result.file;
  }, 120_000);
  afterAll(async () => {
    await source?.drop();
    await remote?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a manifest with the migrations, auth users and per-table checksums", async () => {
    expect(path.basename(file)).toMatch(new RegExp(`^\\d{8}T\\d{6}Z_${source.name}\\.jsonl$`));
    const manifest = JSON.parse(readFileSync(file, "utf8").split("\n")[0] ?? "");
    expect(manifest.serverVersion).toMatch(/^\d+/);
    expect(manifest.migrations.map((m: { version: string }) => m.version)).toEqual([
      "20250101000000",
      "20250101000100",
      "20250101000300",
    ]);
    const users = manifest.tables.find(
      (t: { schema: string; name: string }) => t.schema === "auth" && t.name === "users",
    );
    const { rows } = await source.query<{ count: string }>("select count(*) from auth.users");
    expect(users.rows).toBe(Number(rows[0]?.count));
    expect(users.rows).toBeGreaterThan(0);
    expect(manifest.tables).toEqual(await checksumsAt(source.adminUrl));
  });

  it("backs up a bare database (no platform schema, no migration history)", async () => {
    const url = await remoteDatabase(remote, "bare");
    const { manifest } = await backupDatabase(url, { backupsDir: dir });
    expect(manifest.platform).toEqual([]);
    expect(manifest.migrations).toEqual([]);
    expect(manifest.tables).toEqual([]);
  });

  it("restores into an empty remote database, equal by every checksum", async () => {
    const url = await remoteDatabase(remote, "roundtrip");
    const result = await restoreDatabase(file, url);
    expect(result.tables).toEqual(result.manifest.tables);
    expect(await checksumsAt(url)).toEqual(await checksumsAt(source.adminUrl));
    // Sequences continue where the source left off, so new rows do not collide.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const sequencesSql =
      "select schemaname, sequencename, last_value from pg_sequences where schemaname = 'public' order by 1, 2";
    const history = await client.query(
      "select version from supabase_migrations.schema_migrations order by 1",
    );
    const sequences = await client.query(sequencesSql);
    await client.end();
    expect(history.rows).toHaveLength(3);
    expect(sequences.rows.length).toBeGreaterThan(0);
    expect(sequences.rows).toEqual((await source.query(sequencesSql)).rows);
  }, 120_000);

  it("refuses a non-empty target without --force, and replaces it with --force", async () => {
    const url = await remoteDatabase(remote, "occupied");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("create table public.keep (id int); insert into public.keep values (1)");
      await expect(restoreDatabase(file, url)).rejects.toThrow(TargetNotEmptyError);
      await expect(restoreDatabase(file, url)).rejects.toThrow(/schema public: 1 relation/);
      expect((await client.query("select * from public.keep")).rows).toEqual([{ id: 1 }]);
      await restoreDatabase(file, url, { force: true });
      expect((await client.query("select to_regclass('public.keep') as t")).rows[0]?.t).toBeNull();
    } finally {
      await client.end();
    }
    expect(await checksumsAt(url)).toEqual(await checksumsAt(source.adminUrl));
  }, 120_000);

  it("rolls back a file whose data does not match its manifest (nothing half-written)", async () => {
    const url = await remoteDatabase(remote, "tampered");
    const tampered = path.join(dir, "tampered.jsonl");
    editRow(file, tampered, "organizations", (row) => row.replace(/^\((\d+),/, "(9$1,"));
    const error = await restoreDatabase(tampered, url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestoreMismatchError);
    expect((error as RestoreMismatchError).mismatches).toEqual([
      expect.stringMatching(/^public\.organizations content differs/),
    ]);
    expect(await checksumsAt(url)).toEqual([]);
  }, 120_000);

  it("rolls back a restore that fails midway, and a truncated file", async () => {
    const url = await remoteDatabase(remote, "midway");
    const broken = path.join(dir, "broken.jsonl");
    editRow(file, broken, "opportunities", (row) => row.replace(/^\((\d+),[^,]*,/, "($1,not-a-uuid,"));
    await expect(restoreDatabase(broken, url)).rejects.toThrow(/uuid/);
    expect(await checksumsAt(url)).toEqual([]);

    const truncated = path.join(dir, "truncated.jsonl");
    const text = readFileSync(file, "utf8");
    writeFileSync(truncated, text.slice(0, Math.floor(text.length * 0.9)));
    await expect(restoreDatabase(truncated, url)).rejects.toThrow(BackupFileError);
    expect(await checksumsAt(url)).toEqual([]);

    const notBackup = path.join(dir, "not-a-backup.jsonl");
    writeFileSync(notBackup, "hello\n");
    await expect(restoreDatabase(notBackup, url)).rejects.toThrow(/not valid JSON/);
  }, 120_000);
});
