import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { useProjectSearchPath } from "../db/search-path.js";
import { withTransaction } from "../db/transaction.js";
import { loadParser, SqlSyntaxError, splitStatements } from "./split.js";
import { isPostgresError, SqlFileError } from "./sql-file-error.js";

/**
 * Runs the seed files (`supabase/seed.sql` by default) in one transaction: either all the seed
 * data goes in or none does. Missing files are skipped, as the Supabase CLI skips them.
 * Returns the files it ran.
 */
export async function runSeedFiles(
  client: pg.ClientBase,
  seedPaths: readonly string[],
  projectDir: string,
): Promise<string[]> {
  const files = seedPaths.filter((file) => existsSync(file));
  if (files.length === 0) return [];
  await loadParser();
  await useProjectSearchPath(client);
  await withTransaction(client, {}, async (tx) => {
    for (const file of files) await runSeedFile(tx, file, path.relative(projectDir, file));
  });
  return files;
}

async function runSeedFile(client: pg.ClientBase, file: string, display: string): Promise<void> {
  const text = readFileSync(file, "utf8");
  let statements: ReturnType<typeof splitStatements>;
  try {
    statements = splitStatements(text);
  } catch (error) {
    if (error instanceof SqlSyntaxError) {
      throw new Error(`${display}:${error.line}:${error.column}: ${error.message}. No seed data was loaded.`);
    }
    throw error;
  }
  for (const statement of statements) {
    if (statement.transactionControl !== null) continue;
    try {
      await client.query(statement.sql);
    } catch (error) {
      if (!isPostgresError(error)) throw error;
      throw new SqlFileError({
        file: display,
        fileText: text,
        statement: statement.sql,
        statementOffset: statement.offset,
        error,
        outcome: "The seed was rolled back: no seed data was loaded.",
      });
    }
  }
}
