import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupDatabase } from "../../../src/ops/backup/backup.js";
import {
  BackupFileError,
  MissingTableError,
  RestoreMismatchError,
  restoreDatabase,
  TargetNotEmptyError,
} from "../../../src/ops/backup/restore.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { checksumsAt, remoteDatabase } from "./helpers.js";

/**
 * A copy of the backup with the first row of `table`'s section rewritten by `edit`, which gets and
 * returns the row's COPY text line, e.g. `1\t00000000-...\tAcme`.
 */
function editRow(source: string, target: string, table: string, edit: (row: string) => string): void {
  const lines = readFileSync(source, "utf8").split("\n");
  const header = lines.findIndex(
    (line) => line.startsWith('{"kind":"table"') && line.includes(`"name":"${table}"`),
  );
  lines[header + 1] = edit(lines[header + 1] ?? "");
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

  it("writes a header, the migrations, every table's COPY rows and a manifest with checksums", async () => {
    expect(path.basename(file)).toMatch(new RegExp(`^\\d{8}T\\d{6}Z_${source.name}\\.gwbackup$`));
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const header = JSON.parse(lines[0] ?? "");
    expect(header).toMatchObject({ kind: "header", format: "groundwork-backup", formatVersion: 2 });
    expect(header.tables).toContainEqual({ schema: "auth", name: "users" });
    const manifest = JSON.parse(lines.at(-1) ?? "");
    expect(manifest.kind).toBe("manifest");
    expect(manifest.serverVersion).toMatch(/^\d+/);
    expect(manifest.migrations.map((m: { version: string }) => m.version)).toEqual([
      "20250101000000",
      "20250101000100",
      "20250101000300",
      "20250101000400",
    ]);
    const users = manifest.tables.find(
      (t: { schema: string; name: string }) => t.schema === "auth" && t.name === "users",
    );
    const { rows } = await source.query<{ count: string }>("select count(*) from auth.users");
    expect(users.rows).toBe(Number(rows[0]?.count));
    expect(users.rows).toBeGreaterThan(0);
    expect(manifest.tables).toEqual(await checksumsAt(source.adminUrl));
    // Each table's section: its line, exactly `rows` COPY lines, then the end marker.
    const start = lines.findIndex((l) => l.startsWith('{"kind":"table","schema":"auth","name":"users"'));
    expect(lines[start + users.rows + 1]).toBe("\\.");
    expect(lines[start + 1]?.split("\t").length).toBe(JSON.parse(lines[start] ?? "").columns.length);
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
    const progress: number[] = [];
    const result = await restoreDatabase(file, url, { onProgress: (done) => progress.push(done) });
    expect(result.tables).toEqual(result.manifest.tables);
    expect(result.rows).toBe(result.manifest.tables.reduce((sum, t) => sum + t.rows, 0));
    expect(progress.at(-1)).toBe(result.rows);
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
    expect(history.rows).toHaveLength(4);
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
    const tampered = path.join(dir, "tampered.gwbackup");
    editRow(file, tampered, "organizations", (row) => row.replace(/^(\d+)\t/, "9$1\t"));
    const error = await restoreDatabase(tampered, url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestoreMismatchError);
    expect((error as RestoreMismatchError).mismatches).toEqual([
      expect.stringMatching(/^public\.organizations content differs/),
    ]);
    expect(await checksumsAt(url)).toEqual([]);
  }, 120_000);

  it("rolls back a restore that fails midway, naming the table and line", async () => {
    const url = await remoteDatabase(remote, "midway");
    const broken = path.join(dir, "broken.gwbackup");
    editRow(file, broken, "opportunities", (row) => row.replace(/^(\d+)\t[^\t]*\t/, "$1\tnot-a-uuid\t"));
    await expect(restoreDatabase(broken, url)).rejects.toThrow(
      /could not load public\.opportunities: invalid input syntax for type uuid.*line 1/,
    );
    expect(await checksumsAt(url)).toEqual([]);
  }, 120_000);

  it("refuses truncated, garbled and old-format files up front, and rolls back a mis-framed one", async () => {
    const url = await remoteDatabase(remote, "badfiles");
    const text = readFileSync(file, "utf8");
    const write = (name: string, content: string) => {
      const target = path.join(dir, name);
      writeFileSync(target, content);
      return target;
    };
    const truncated = write("truncated.gwbackup", text.slice(0, Math.floor(text.length * 0.9)));
    await expect(restoreDatabase(truncated, url)).rejects.toThrow(BackupFileError);
    await expect(restoreDatabase(truncated, url)).rejects.toThrow(
      /incomplete: its last line is not the backup's manifest/,
    );

    const garbled = write("garbled.gwbackup", "hello\n");
    await expect(restoreDatabase(garbled, url)).rejects.toThrow(
      /is not a Groundwork backup \(its first line is not valid JSON\)/,
    );
    const binary = write("binary.gwbackup", "\u0000\u0001".repeat(1000));
    await expect(restoreDatabase(binary, url)).rejects.toThrow(/is not a Groundwork backup/);

    const v1 = write(
      "v1.gwbackup",
      `${JSON.stringify({ kind: "manifest", format: "groundwork-backup", formatVersion: 1, tables: [] })}\n`,
    );
    await expect(restoreDatabase(v1, url)).rejects.toThrow(
      /format version 1, and this version of Groundwork restores format version 2 only\. Make a new backup/,
    );

    // A section's end marker removed: its rows run into the next section's line and COPY rejects them.
    const lines = text.split("\n");
    const marker = lines.findIndex(
      (l, i) => l === "\\." && lines[i - 1] !== undefined && !lines[i - 1]?.startsWith("{"),
    );
    const unframed = write(
      "unframed.gwbackup",
      [...lines.slice(0, marker), ...lines.slice(marker + 1)].join("\n"),
    );
    await expect(restoreDatabase(unframed, url)).rejects.toThrow(/could not load/);
    expect(await checksumsAt(url)).toEqual([]);
  }, 120_000);

  it("rolls back when a backed-up table is not created by the migrations (schema drift)", async () => {
    await source.query(
      "create table public.made_by_hand (id int); insert into public.made_by_hand values (1)",
    );
    try {
      const drifted = await backupDatabase(source.adminUrl, { backupsDir: dir });
      const url = await remoteDatabase(remote, "drift");
      await expect(restoreDatabase(drifted.file, url)).rejects.toThrow(MissingTableError);
      await expect(restoreDatabase(drifted.file, url)).rejects.toThrow(
        /public\.made_by_hand, which the replayed migrations do not create/,
      );
      expect(await checksumsAt(url)).toEqual([]);
    } finally {
      await source.query("drop table public.made_by_hand");
    }
  }, 120_000);
});
