import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** A migration file in `supabase/migrations`, named `<version>_<name>.sql` as the Supabase CLI names them. */
export interface MigrationFile {
  /** The numeric prefix, usually a UTC timestamp `YYYYMMDDHHMMSS`. */
  readonly version: string;
  readonly name: string;
  readonly fileName: string;
  readonly path: string;
  readonly sql: string;
  /** sha256 of the file's bytes, hex. */
  readonly checksum: string;
}

export interface MigrationDirectory {
  readonly migrations: readonly MigrationFile[];
  /** `.sql` files whose names the Supabase CLI would skip too, with why. */
  readonly skipped: readonly { fileName: string; reason: string }[];
}

const MIGRATION_NAME = /^(\d+)_(.*)\.sql$/;

export function checksumOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Reads the migration files in version order. A missing folder means no migrations. */
export function readMigrationDirectory(dir: string): MigrationDirectory {
  if (!existsSync(dir)) return { migrations: [], skipped: [] };
  const migrations: MigrationFile[] = [];
  const skipped: { fileName: string; reason: string }[] = [];
  const seen = new Map<string, string>();
  for (const fileName of readdirSync(dir).sort()) {
    if (!fileName.endsWith(".sql")) continue;
    const match = MIGRATION_NAME.exec(fileName);
    if (!match) {
      skipped.push({
        fileName,
        reason: "the name must be <version>_<name>.sql, e.g. 20250101120000_create_contacts.sql",
      });
      continue;
    }
    const version = match[1] as string;
    const earlier = seen.get(version);
    if (earlier) {
      throw new Error(
        `Two migrations share version ${version}: ${earlier} and ${fileName}. Rename one (groundwork migration new makes a fresh timestamp).`,
      );
    }
    seen.set(version, fileName);
    const filePath = path.join(dir, fileName);
    const sql = readFileSync(filePath, "utf8");
    migrations.push({
      version,
      name: match[2] as string,
      fileName,
      path: filePath,
      sql,
      checksum: checksumOf(sql),
    });
  }
  migrations.sort((a, b) => compareVersions(a.version, b.version));
  return { migrations, skipped };
}

/** Numeric comparison of version strings of any length. */
export function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A new version stamp in the Supabase CLI's format: UTC `YYYYMMDDHHMMSS`. */
export function newVersion(now = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
