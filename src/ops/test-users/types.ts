/**
 * Glossary
 * - test user: a user of `[test_users]` (default: seed 001's admin, director and manager), created
 *   as GoTrue creates users (auth.users with a bcrypt hash, an `email` identity, email confirmed)
 *   so it signs in through supabase-js, and made a member of the test tenant with its role.
 * - test tenant: the tenant test users belong to and seeded rows are stamped with
 *   (`[test_users] tenant_id`; default a dedicated "Test tenant" with a fixed id).
 * - adopted user: a test user that already existed (e.g. created by seed.sql): kept with its id;
 *   only what is missing (identity, confirmation, password, membership) is added.
 */

/** A test user as it is in the database after the seed. */
export interface SeededUser {
  readonly key: string;
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly fullName: string;
  readonly counts: Readonly<Record<string, number>>;
  /** What the seed did to the auth user: created it, fixed part of it, or nothing. */
  readonly auth: "created" | "updated" | "unchanged";
}

/** Rows the seed created in one table, per user key and in total. */
export interface TableRows {
  readonly table: string;
  readonly perUser: Readonly<Record<string, number>>;
  readonly created: number;
}

/** What `users seed` did. */
export interface UsersSeedResult {
  readonly users: readonly SeededUser[];
  /** The test tenant, or null on a database without the tenancy kit (no memberships made). */
  readonly tenant: { readonly id: string; readonly name: string } | null;
  readonly tables: readonly TableRows[];
  /** Rows created in all tables. */
  readonly rowsCreated: number;
  readonly warnings: readonly string[];
  readonly seed: number;
  readonly durationMs: number;
}
