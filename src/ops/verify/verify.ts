import pg from "pg";
import { withTransaction } from "../../db/transaction.js";
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
  /** Per-database tables left out of the comparison (see {@link PER_DATABASE_TABLES}). */
  readonly skipped: readonly string[];
  readonly equal: boolean;
}

export interface VerifyOptions {
  /** Compare the per-database tables too (after a restore, where they are copied as well). */
  readonly all?: boolean;
}

/**
 * Tables whose rows are each database's own state rather than application data, so two databases
 * holding the same data differ there by design: the audit trail of its own writes, when each
 * `protect()` declaration ran there, and the auth and platform services' runtime state (sessions,
 * refresh tokens, one-time tokens, rate limits, the mail outbox). Left out unless asked for.
 */
export const PER_DATABASE_TABLES: ReadonlySet<string> = new Set([
  "groundwork.audit_log",
  "groundwork.protected_tables",
  "groundwork.rate_limits",
  "groundwork.mail_outbox",
  "auth.audit_log_entries",
  "auth.sessions",
  "auth.refresh_tokens",
  "auth.flow_state",
  "auth.one_time_tokens",
  "auth.mfa_challenges",
  "auth.mfa_amr_claims",
]);

/**
 * Compares every data table's row count and content checksum between two databases (the same
 * query backup and restore use; see ops/backup/checksums.ts). A table on one side only is a
 * mismatch. Each side is read in one `REPEATABLE READ READ ONLY` transaction.
 */
export async function verifyDatabases(
  localUrl: string,
  targetUrl: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const [local, target] = await Promise.all([snapshotChecksums(localUrl), snapshotChecksums(targetUrl)]);
  const localByKey = new Map(local.map((t) => [tableKey(t), t]));
  const targetByKey = new Map(target.map((t) => [tableKey(t), t]));
  const every = [...new Set([...localByKey.keys(), ...targetByKey.keys()])].sort();
  const compared = (table: string) => options.all === true || !PER_DATABASE_TABLES.has(table);
  const keys = every.filter(compared);
  const skipped = every.filter((table) => !compared(table));
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
  return { tables, skipped, equal: tables.every((t) => t.equal) };
}

async function snapshotChecksums(url: string): Promise<TableChecksum[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await withTransaction(client, { isolation: "repeatable read", readOnly: true }, () =>
      databaseChecksums(client),
    );
  } finally {
    await client.end();
  }
}
