import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newVersion, readMigrationDirectory } from "../../src/migrate/files.js";
import { loadParser, splitStatements } from "../../src/migrate/split.js";

let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("readMigrationDirectory", () => {
  it("orders by numeric version and skips names the Supabase CLI would skip", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gw-files-"));
    writeFileSync(path.join(dir, "20240102000000_b.sql"), "select 2;");
    writeFileSync(path.join(dir, "9_a.sql"), "select 1;");
    writeFileSync(path.join(dir, "notes.sql"), "");
    writeFileSync(path.join(dir, "README.md"), "");
    const { migrations, skipped } = readMigrationDirectory(dir);
    expect(migrations.map((m) => m.version)).toEqual(["9", "20240102000000"]);
    expect(skipped).toEqual([
      { fileName: "notes.sql", reason: expect.stringContaining("<version>_<name>.sql") },
    ]);
  });

  it("refuses two files with the same version", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gw-files-"));
    writeFileSync(path.join(dir, "1_a.sql"), "");
    writeFileSync(path.join(dir, "1_b.sql"), "");
    expect(() => readMigrationDirectory(dir)).toThrow("Two migrations share version 1: 1_a.sql and 1_b.sql");
  });

  it("treats a missing folder as no migrations", () => {
    expect(readMigrationDirectory("/nonexistent/groundwork").migrations).toEqual([]);
  });

  it("makes versions in the Supabase CLI's UTC timestamp format", () => {
    expect(newVersion(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)))).toBe("20250102030405");
  });
});

describe("splitStatements", () => {
  it("splits with PostgreSQL's own parser: dollar quotes, atomic bodies, comments", async () => {
    await loadParser();
    const sql = [
      "-- header comment",
      "create function f() returns int language plpgsql as $$ begin return 1; end $$;",
      "/* block; with semicolon */ create function g() returns int begin atomic select 1; select 2; end;",
      "insert into t values (';');",
    ].join("\n");
    const statements = splitStatements(sql);
    expect(statements.map((s) => [s.line, s.kind])).toEqual([
      [2, "CreateFunctionStmt"],
      [3, "CreateFunctionStmt"],
      [4, "InsertStmt"],
    ]);
    expect(statements[1]?.sql).toBe("create function g() returns int begin atomic select 1; select 2; end");
    expect(statements[2]?.sql).toBe("insert into t values (';')");
  });

  it("knows which statements cannot run in a transaction", async () => {
    await loadParser();
    const kinds = splitStatements(
      "vacuum t; analyze t; create index concurrently i on t (x); drop index concurrently i; reindex index concurrently i; create index j on t (x);",
    ).map((s) => s.nonTransactional);
    expect(kinds).toEqual([
      "VACUUM",
      null,
      "CREATE INDEX CONCURRENTLY",
      "DROP INDEX CONCURRENTLY",
      "REINDEX CONCURRENTLY",
      null,
    ]);
  });
});
