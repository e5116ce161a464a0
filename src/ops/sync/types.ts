/**
 * Glossary:
 * - local: the database the data comes from (the developer's, usually the running stack's).
 * - target: the database that is overwritten (a `[targets.NAME]` or `--db-url`).
 * - synced table: an ordinary table of the `public` schema; sync push replaces its rows on the
 *   target with the local ones (truncate + COPY, in one transaction).
 * - test users: every local `auth.users` row, with its `auth.identities`, the tenants
 *   (`groundwork.tenants`) and its memberships (`groundwork.memberships`). They are upserted by id,
 *   so target users that are not local stay.
 * - plan: what a sync would do, computed without changing anything ({@link SyncPlan}).
 */

/** One public table as the plan sees it. */
export interface TablePlan {
  /** `schema.name`. */
  readonly table: string;
  readonly schema: string;
  readonly name: string;
  /** Columns that take values on insert (generated columns left out), in local order. */
  readonly columns: readonly string[];
  readonly localRows: number;
  /** Rows on the target now, which the sync deletes. */
  readonly targetRows: number;
}

/** A local user the sync copies. */
export interface UserPlan {
  readonly id: string;
  readonly email: string | null;
  /** The target has a user with this id already (it is updated, not inserted). */
  readonly onTarget: boolean;
}

export interface SyncPlan {
  readonly tables: readonly TablePlan[];
  readonly users: readonly UserPlan[];
  /** Local tenants upserted on the target (0 when either side has no tenancy tables). */
  readonly tenants: number;
  /** Local memberships of the copied users; theirs on the target are replaced by these. */
  readonly memberships: number;
  /** Applied migration versions (identical on both sides when {@link problems} is empty). */
  readonly migrations: readonly string[];
  /**
   * Why the sync cannot run (migration histories differ, tables or columns differ, a target user
   * has a local user's email under another id). Empty when it can.
   */
  readonly problems: readonly string[];
}

/** One synced table after the sync, compared local vs target (row count and checksum). */
export interface SyncedTableCheck {
  readonly table: string;
  readonly localRows: number | null;
  readonly targetRows: number | null;
  readonly localChecksum: string | null;
  readonly targetChecksum: string | null;
  readonly equal: boolean;
}

export interface SyncVerification {
  readonly tables: readonly SyncedTableCheck[];
  /** Emails (or ids) of local users missing on the target or differing from the local row. */
  readonly usersDiffering: readonly string[];
  readonly usersChecked: number;
  /** Tables outside the sync (audit log, storage, sessions...), not compared. */
  readonly notSynced: readonly string[];
  readonly equal: boolean;
}

export interface SyncResult {
  readonly plan: SyncPlan;
  readonly backupFile: string;
  /** Rows loaded into the public tables. */
  readonly rows: number;
  /** Whether triggers and foreign-key checks were off during the load (replica mode). */
  readonly replicaMode: boolean;
  readonly verification: SyncVerification;
}

/** Steps a sync goes through, for progress messages. */
export type SyncStep = "plan" | "backup" | "copy" | "verify";

/** Reports rows loaded so far, against the total. */
export type SyncProgressListener = (done: number, total: number, table: string) => void;
