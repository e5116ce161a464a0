import pg from "pg";
import { databaseChecksums, tableKey } from "../backup/checksums.js";
import type { TableChecksum } from "../backup/types.js";

/** One table compared between the local database and a target. */
export interface TableComparison {
  /** `schema.name`. */
  readonly table: string;
  /** Null when the table does not exist on that side. */
  readonly local: TableChecksum | null;
  readonly target: TableChecksum | null;
  readonly equal: boolean;
}

export interface VerifyResult {
  readonly tables: readonly TableComparison[];
  readonly equal: boolean;
}

/**
 * Compares every data table's row count and content checksum between two databases (the same
 * query backup and restore use; see ops/backup/checksums.ts). A table on one side only is a
 * mismatch. Each side is read in one `REPEATABLE READ READ ONLY` transaction.
 */
export async function verifyDatabases(localUrl: string, targetUrl: string): Promise<VerifyResult> {
  const [local, target] = await Promise.all([snapshotChecksums(localUrl), snapshotChecksums(targetUrl)]);
  const localByKey = new Map(local.map((t) => [tableKey(t), t]));
  const targetByKey = new Map(target.map((t) => [tableKey(t), t]));
  const keys = [...new Set([...localByKey.keys(), ...targetByKey.keys()])].sort();
  const tables = keys.map((table) => {
    const l = localByKey.get(table) ?? null;
    const t = targetByKey.get(table) ?? null;
    return {
      table,
      local: l,
      target: t,
      equal: l !== null && t !== null && l.rows === t.rows && l.checksum === t.checksum,
    };
  });
  return { tables, equal: tables.every((t) => t.equal) };
}

async function snapshotChecksums(url: string): Promise<TableChecksum[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    const checksums = await databaseChecksums(client);
    await client.query("commit");
    return checksums;
  } finally {
    await client.end();
  }
}
