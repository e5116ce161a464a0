import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { runSeedFiles } from "../../src/migrate/seed.js";
import { loadParser, SqlSyntaxError, splitStatements } from "../../src/migrate/split.js";
import { SqlFileError } from "../../src/migrate/sql-file-error.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

/**
 * SQL files full of text that is not ASCII: accents, emoji (two UTF-16 units, four UTF-8 bytes),
 * CJK (three bytes), right-to-left Arabic and Hebrew, box drawing, in strings, quoted identifiers,
 * comments and dollar-quoted bodies. The parser counts bytes; every boundary must still be exact.
 */
const MIGRATION = `-- ┌──────────────────────────────┐
-- │ Países — 国家 — دول — 👋🏽     │
-- └──────────────────────────────┘
create table public."pays_é" (
  id int primary key,
  "nom_😀" text not null, -- le nom, en entier: « Åland »
  "名前" text,
  "اسم" text
);

/* Curaçao, Réunion, São Tomé — and a nested /* 🚀 */ comment */
create function public.greet(who text) returns text language plpgsql as $body$
begin
  -- ¡Hola! 你好 שלום
  if who = '' then
    raise exception 'Nobody to greet — ¿quién?';
  end if;
  return 'Hello, ' || who || ' 👋';
end
$body$;

comment on table public."pays_é" is 'Liste des pays: Åland, Curaçao, 日本, مصر';
`;

const SEED = `insert into public."pays_é" (id, "nom_😀", "名前", "اسم") values
  (1, 'Åland', 'オーランド', 'جزر أولاند'),
  (2, 'Curaçao', 'キュラソー', 'كوراساو');
-- 👋 a comment between statements, with an emoji
insert into public."pays_é" (id, "nom_😀") values (3, 'select 1; -- not a statement 🎉');
insert into public."pays_é" (id, "nom_😀") values (4, $$dollar 'quoted' ; 🇫🇷$$);
select 'ééééé';
select 2;
`;

describe("splitting SQL with non-ASCII text", () => {
  beforeAll(async () => {
    await loadParser();
  });

  it("cuts exactly at each statement, whatever comes before it (the issue's example)", () => {
    const statements = splitStatements("select 'ééééé';\nselect 2;\nselect 3;");
    expect(statements.map((s) => s.sql)).toEqual(["select 'ééééé'", "select 2", "select 3"]);
    expect(statements.map((s) => s.line)).toEqual([1, 2, 3]);
  });

  it("keeps strings, identifiers, comments and dollar-quoted bodies whole", () => {
    const statements = splitStatements(MIGRATION);
    expect(statements.map((s) => s.kind)).toEqual(["CreateStmt", "CreateFunctionStmt", "CommentStmt"]);
    expect(statements[0]?.sql.startsWith('create table public."pays_é" (')).toBe(true);
    expect(statements[0]?.sql.endsWith('"اسم" text\n)')).toBe(true);
    expect(statements[1]?.sql).toContain("return 'Hello, ' || who || ' 👋';");
    expect(statements[1]?.sql.endsWith("$body$")).toBe(true);
    expect(statements[2]?.sql).toBe(
      "comment on table public.\"pays_é\" is 'Liste des pays: Åland, Curaçao, 日本, مصر'",
    );
    // Offsets are string indices: the text at each offset is the statement.
    for (const statement of statements) {
      expect(MIGRATION.slice(statement.offset, statement.offset + statement.sql.length)).toBe(statement.sql);
    }
    expect(statements.map((s) => s.line)).toEqual([4, 12, 22]);
  });

  it("reports a syntax error on the right line and column after emoji and CJK", () => {
    const sql = "select '👋👋👋';\nselect '日本' frm x;\n";
    const error = (() => {
      try {
        splitStatements(sql);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(SqlSyntaxError);
    // `x` is the 17th character of line 2 (the parser stops at the unexpected `x`).
    expect({ line: (error as SqlSyntaxError).line, column: (error as SqlSyntaxError).column }).toEqual({
      line: 2,
      column: 17,
    });
  });
});

describe("applying migrations and seeds with non-ASCII text", () => {
  let database: TestDatabase;
  let client: pg.Client;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase("platform");
    client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-non-ascii-"));
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies the migration and the seed exactly", async () => {
    const migrations = path.join(dir, "migrations");
    rmSync(migrations, { recursive: true, force: true });
    await import("node:fs").then((fs) => fs.mkdirSync(migrations, { recursive: true }));
    writeFileSync(path.join(migrations, "20250101000000_pays.sql"), MIGRATION);
    const seed = path.join(dir, "seed.sql");
    writeFileSync(seed, SEED);
    await applyMigrations(client, readMigrationDirectory(migrations).migrations);
    await runSeedFiles(client, [seed], dir);
    const { rows } = await client.query(
      `select id, "nom_😀" as nom, "名前" as jp, "اسم" as ar from public."pays_é" order by id`,
    );
    expect(rows).toEqual([
      { id: 1, nom: "Åland", jp: "オーランド", ar: "جزر أولاند" },
      { id: 2, nom: "Curaçao", jp: "キュラソー", ar: "كوراساو" },
      { id: 3, nom: "select 1; -- not a statement 🎉", jp: null, ar: null },
      { id: 4, nom: "dollar 'quoted' ; 🇫🇷", jp: null, ar: null },
    ]);
    const greeting = await client.query("select public.greet('Zoë') as text");
    expect(greeting.rows[0].text).toBe("Hello, Zoë 👋");
    const comment = await client.query(`select obj_description('public."pays_é"'::regclass) as text`);
    expect(comment.rows[0].text).toBe("Liste des pays: Åland, Curaçao, 日本, مصر");
    // The migration history holds each statement whole, as the Supabase CLI records them.
    const history = await client.query(
      "select statements from supabase_migrations.schema_migrations where version = '20250101000000'",
    );
    expect(history.rows[0].statements).toHaveLength(3);
    expect(history.rows[0].statements[1]).toContain("raise exception 'Nobody to greet — ¿quién?';");
  });

  it("reports a failing statement at PostgreSQL's position, on the right line and column", async () => {
    const seed = path.join(dir, "bad-seed.sql");
    // Line 3: the unknown column `nom_missing` starts at the 33rd character.
    writeFileSync(
      seed,
      "-- 👋 Åland\nselect 'Curaçao 🇨🇼';\nselect 'خطأ 日本 👋🏽' as a, 'é' || nom_missing from public.\"pays_é\";\n",
    );
    const error = await runSeedFiles(client, [seed], dir).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SqlFileError);
    expect({ line: (error as SqlFileError).line, column: (error as SqlFileError).column }).toEqual({
      line: 3,
      column: 33,
    });
    expect((error as SqlFileError).message).toContain("bad-seed.sql:3:33:");
  });

  it("reports a syntax error in a migration on the right line and column", async () => {
    const migrations = path.join(dir, "migrations");
    writeFileSync(path.join(migrations, "20250102000000_broken.sql"), "-- 日本 👋\nselect 'é👋' frm x;\n");
    const error = await applyMigrations(client, readMigrationDirectory(migrations).migrations).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SqlFileError);
    expect({ line: (error as SqlFileError).line, column: (error as SqlFileError).column }).toEqual({
      line: 2,
      column: 17,
    });
  });
});
