import type { MigrationFile } from "./files.js";
import { compareVersions } from "./files.js";
import type { AppliedMigration } from "./history.js";

export type MigrationState =
  /** Applied, and the file is unchanged since. */
  | "applied"
  /** Not applied yet. */
  | "pending"
  /** Applied, but the file has changed since: the database no longer matches the files. */
  | "drifted"
  /** Applied, with no checksum recorded (the Supabase CLI applied it): cannot be checked. */
  | "unverified"
  /** In the history but no longer in the folder. */
  | "missing";

export interface MigrationStatus {
  readonly version: string;
  readonly name: string;
  readonly state: MigrationState;
  /** A pending migration older than the newest applied one (applying it reorders history). */
  readonly outOfOrder: boolean;
  readonly file: MigrationFile | null;
}

/** Lines up the files and the history, version by version (`groundwork migration list`). */
export function planMigrations(
  files: readonly MigrationFile[],
  history: readonly AppliedMigration[],
): MigrationStatus[] {
  const applied = new Map(history.map((row) => [row.version, row]));
  const newestApplied = history.reduce<string | null>(
    (max, row) => (max === null || compareVersions(row.version, max) > 0 ? row.version : max),
    null,
  );
  const statuses: MigrationStatus[] = files.map((file) => {
    const row = applied.get(file.version);
    let state: MigrationState = "pending";
    if (row)
      state = row.checksum === null ? "unverified" : row.checksum === file.checksum ? "applied" : "drifted";
    const outOfOrder =
      state === "pending" && newestApplied !== null && compareVersions(file.version, newestApplied) < 0;
    return { version: file.version, name: file.name, state, outOfOrder, file };
  });
  const local = new Set(files.map((file) => file.version));
  for (const row of history) {
    if (!local.has(row.version)) {
      statuses.push({
        version: row.version,
        name: row.name ?? "",
        state: "missing",
        outOfOrder: false,
        file: null,
      });
    }
  }
  return statuses.sort((a, b) => compareVersions(a.version, b.version));
}
