import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations, MigrationPlanError } from "../../src/migrate/apply.js";
import { type MigrationFile, readMigrationDirectory } from "../../src/migrate/files.js";
import { readHistory } from "../../src/migrate/history.js";
import { planMigrations } from "../../src/migrate/plan.js";
import { SqlFileError } from "../../src/migrate/sql-file-error.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let client: pg.Client;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase("platform");
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  client = new pg.Client({ connectionString: database.adminUrl });
  await client.connect();
  await client.query(`
    drop schema if exists supabase_migrations cascade;
    drop schema if exists app cascade;
    create schema app;`);
  dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-migrations-"));
});
afterEach(async () => {
  await client.end();
  rmSync(dir, { recursive: true, force: true });
});

function write(fileName: string, sql: string): void {
  writeFileSync(path.join(dir, fileName), sql);
}
function files(): MigrationFile[] {
  return [...readMigrationDirectory(dir).migrations];
}
async function tables(): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'app' order by 1",
  );
  return rows.map((row) => row.name);
}
async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("applyMigrations", () => {
  it("applies files in version order and records them as the Supabase CLI does, plus a checksum", async () => {
    write("20240102000000_second.sql", "alter table app.a add column note text;");
    write(
      "20240101000000_first.sql",
      "create table app.a (id int primary key);\ncreate index a_id on app.a (id);",
    );
    const applied = await applyMigrations(client, files());
    expect(applied.map((m) => m.name)).toEqual(["first", "second"]);
    const { rows } = await client.query(
      "select version, name, statements, checksum from supabase_migrations.schema_migrations order by version",
    );
    expect(rows).toEqual([
      {
        version: "20240101000000",
        name: "first",
        statements: ["create table app.a (id int primary key)", "create index a_id on app.a (id)"],
        checksum: files()[0]?.checksum,
      },
      {
        version: "20240102000000",
        name: "second",
        statements: ["alter table app.a add column note text"],
        checksum: files()[1]?.checksum,
      },
    ]);
    expect(await applyMigrations(client, files())).toEqual([]);
  });

  it("reports a syntax error with file and line, and applies nothing of that file", async () => {
    write("20240101000000_ok.sql", "create table app.ok (id int);");
    write("20240102000000_broken.sql", "create table app.b (id int);\n\ncreate tabel app.c (id int);\n");
    const error = await failure(applyMigrations(client, files()));
    expect(error).toBeInstanceOf(SqlFileError);
    const sqlError = error as SqlFileError;
    expect(sqlError.file).toBe("supabase/migrations/20240102000000_broken.sql");
    expect(sqlError.line).toBe(3);
    expect(sqlError.message).toContain('syntax error at or near "tabel"');
    expect(sqlError.message).toContain("create tabel app.c (id int);");
    // Files are parsed before any runs, so not even the first file was applied.
    expect(await tables()).toEqual([]);
    expect(await readHistory(client)).toEqual([]);
  });

  it("rolls a failing migration back completely and keeps the ones before it", async () => {
    write("20240101000000_first.sql", "create table app.first (id int);");
    write(
      "20240102000000_second.sql",
      "create table app.second (id int);\ninsert into app.second values (1);\n-- the next one fails\ninsert into app.missing values (1);\n",
    );
    const error = await failure(applyMigrations(client, files()));
    expect(error).toBeInstanceOf(SqlFileError);
    const sqlError = error as SqlFileError;
    expect(sqlError.line).toBe(4);
    expect(sqlError.code).toBe("42P01");
    expect(sqlError.statement).toBe("insert into app.missing values (1)");
    expect(sqlError.message).toContain('relation "app.missing" does not exist');
    expect(sqlError.message).toContain("rolled back");
    expect(await tables()).toEqual(["first"]);
    expect((await readHistory(client)).map((m) => m.version)).toEqual(["20240101000000"]);
  });

  it("runs BEGIN/COMMIT written in a file as part of its own single transaction", async () => {
    write(
      "20240101000000_tx.sql",
      "begin;\ncreate table app.t (id int);\ncommit;\nbegin;\ninsert into app.nope values (1);\ncommit;\n",
    );
    await failure(applyMigrations(client, files()));
    expect(await tables()).toEqual([]);
  });

  it("flags drift when an applied file changes, and refuses to apply on top of it", async () => {
    write("20240101000000_first.sql", "create table app.a (id int);");
    await applyMigrations(client, files());
    write("20240101000000_first.sql", "create table app.a (id int, extra text);");
    write("20240102000000_next.sql", "create table app.b (id int);");
    const statuses = planMigrations(files(), await readHistory(client));
    expect(statuses.map((s) => [s.version, s.state])).toEqual([
      ["20240101000000", "drifted"],
      ["20240102000000", "pending"],
    ]);
    const error = await failure(applyMigrations(client, files()));
    expect(error).toBeInstanceOf(MigrationPlanError);
    expect(error.message).toContain("20240101000000_first.sql changed after it was applied");
    expect(await tables()).toEqual(["a"]);
  });

  it("refuses a migration that is applied in the database but missing from the folder", async () => {
    write("20240101000000_first.sql", "create table app.a (id int);");
    await applyMigrations(client, files());
    rmSync(path.join(dir, "20240101000000_first.sql"));
    const error = await failure(applyMigrations(client, files()));
    expect(error.message).toContain("not in supabase/migrations: 20240101000000");
  });

  it("refuses an out-of-order migration unless includeAll is set", async () => {
    write("20240105000000_late.sql", "create table app.late (id int);");
    await applyMigrations(client, files());
    write("20240101000000_early.sql", "create table app.early (id int);");
    const error = await failure(applyMigrations(client, files()));
    expect(error.message).toContain("older than the newest applied migration");
    expect(await tables()).toEqual(["late"]);
    await applyMigrations(client, files(), { includeAll: true });
    expect(await tables()).toEqual(["early", "late"]);
  });

  it("refuses statements that cannot run in a transaction, naming the fix", async () => {
    write("20240101000000_table.sql", "create table app.a (id int);");
    write("20240102000000_index.sql", "select 1;\ncreate index concurrently a_id on app.a (id);");
    const error = await failure(applyMigrations(client, files()));
    expect(error).toBeInstanceOf(MigrationPlanError);
    expect(error.message).toBe(
      "supabase/migrations/20240102000000_index.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction, and each migration runs in one. " +
        "Move it to a migration file of its own whose first line is -- groundwork:no-transaction; that file's statements then run one by one, " +
        "each committed on its own. Nothing was applied.",
    );
    expect(await tables()).toEqual([]);
  });

  it("runs a file marked no-transaction statement by statement", async () => {
    write("20240101000000_table.sql", "create table app.a (id int);");
    write(
      "20240102000000_index.sql",
      "-- groundwork:no-transaction\ncreate index concurrently a_id on app.a (id);",
    );
    await applyMigrations(client, files());
    const { rows } = await client.query("select indexname from pg_indexes where schemaname = 'app'");
    expect(rows).toEqual([{ indexname: "a_id" }]);
  });

  it("stops a second concurrent run with a clear message", async () => {
    write("20240101000000_first.sql", "create table app.a (id int);");
    const other = new pg.Client({ connectionString: database.adminUrl });
    await other.connect();
    try {
      await other.query("select pg_advisory_lock($1)", [0x67_77_6d_69]);
      const error = await failure(applyMigrations(client, files()));
      expect(error.message).toContain("Another migration run holds the migration lock");
      expect(await tables()).toEqual([]);
    } finally {
      await other.end();
    }
    await applyMigrations(client, files());
    expect(await tables()).toEqual(["a"]);
  });

  it("explains an enum value used in the migration that adds it", async () => {
    write(
      "20240101000000_enum.sql",
      "create type app.mood as enum ('ok');\ncreate table app.m (mood app.mood);\n" + "commit;\n", // a stray COMMIT must not split the transaction
    );
    await applyMigrations(client, files());
    write(
      "20240102000000_add.sql",
      "alter type app.mood add value 'great';\ninsert into app.m values ('great');",
    );
    const error = (await failure(applyMigrations(client, files()))) as SqlFileError;
    expect(error.code).toBe("55P04");
    expect(error.hint).toContain("Put the ADD VALUE in its own migration");
  });
});
