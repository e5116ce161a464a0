/**
 * Glossary:
 * - backup file (format version 2): lines of JSON framing raw `COPY` text sections —
 *   1. a {@link BackupHeader} line (format, version, the tables that follow);
 *   2. one {@link MigrationLine} per applied migration, in order;
 *   3. per data table, a {@link TableLine}, then the table's rows exactly as
 *      `COPY table (columns) TO STDOUT` prints them in text format (one row per line, tabs between
 *      columns, `\N` for NULL, backslash escapes for tabs, newlines and backslashes inside values),
 *      then the line {@link END_OF_DATA};
 *   4. the {@link BackupManifest} as the last line (counts and checksums are known only once the
 *      rows have been written).
 *   COPY's text format never prints a line that is just `\.` (a backslash in a value is doubled), so
 *   the end marker cannot occur inside a table's rows — the same framing pg_dump's plain format uses.
 * - checksum: {@link TableChecksum} — an order-independent hash of the rows' COPY text, computed
 *   while the rows stream past (see row-hash.ts and checksums.ts) at backup, after restore and by
 *   `verify`, under the same output settings (see output-settings.ts).
 */

export const BACKUP_FORMAT = "groundwork-backup";
export const BACKUP_FORMAT_VERSION = 2;
/** The line that ends a table's rows: COPY's own end-of-data marker. */
export const END_OF_DATA = "\\.";

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

/** The first line: says what the file is, and lists the tables whose sections follow. */
export interface BackupHeader {
  readonly kind: "header";
  readonly format: typeof BACKUP_FORMAT;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly database: string;
  readonly serverVersion: string;
  /** The encoding of the rows (the client encoding of the COPY). */
  readonly encoding: "UTF8";
  readonly tables: readonly { schema: string; name: string }[];
}

/** The last line: what the backup holds, with every table's count and checksum. */
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

/** Opens a table's section; its COPY text rows follow, up to the {@link END_OF_DATA} line. */
export interface TableLine {
  readonly kind: "table";
  readonly schema: string;
  readonly name: string;
  /** Columns that take values on insert (generated columns are left out and recomputed). */
  readonly columns: readonly string[];
}

/**
 * Reports progress in rows against a total: at backup the total is the planner's estimate (exact
 * once the last table is done); at restore the rows are interpolated from the bytes read.
 */
export type ProgressListener = (done: number, total: number, table: string) => void;
