/**
 * Glossary:
 * - backup file: JSON lines. Line 1 is the {@link BackupManifest}; then one {@link MigrationLine} per
 *   applied migration; then, per table, a {@link TableLine} followed by exactly `rows` lines, each a
 *   row as its composite text form (`t::text`) in a JSON string.
 * - checksum: {@link TableChecksum} — an order-independent hash of the rows' text form, computed by
 *   the same SQL at backup, after restore and by `verify` (see checksums.ts).
 */

export const BACKUP_FORMAT = "groundwork-backup";
export const BACKUP_FORMAT_VERSION = 1;

/** A table's row count and content checksum. */
export interface TableChecksum {
  readonly schema: string;
  readonly name: string;
  readonly rows: number;
  readonly checksum: string;
}

export interface SequenceValue {
  readonly schema: string;
  readonly name: string;
  /** Null when nextval was never called. */
  readonly lastValue: string | null;
}

export interface BackupManifest {
  readonly kind: "manifest";
  readonly format: typeof BACKUP_FORMAT;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly database: string;
  readonly serverVersion: string;
  /** Platform schema files applied (groundwork.platform_migrations), by version and checksum. */
  readonly platform: readonly { version: number; name: string; checksum: string }[];
  /** Project migrations applied (supabase_migrations.schema_migrations). */
  readonly migrations: readonly { version: string; name: string | null }[];
  readonly tables: readonly TableChecksum[];
  readonly sequences: readonly SequenceValue[];
}

export interface MigrationLine {
  readonly kind: "migration";
  readonly version: string;
  readonly name: string | null;
  readonly checksum: string | null;
  readonly statements: readonly string[];
}

export interface TableLine {
  readonly kind: "table";
  readonly schema: string;
  readonly name: string;
  /** Columns that take values on insert (generated columns are left out). */
  readonly columns: readonly string[];
  readonly rows: number;
}

/** Reports rows written or loaded so far, against the total. */
export type ProgressListener = (done: number, total: number, table: string) => void;
