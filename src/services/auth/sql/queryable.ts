import type pg from "pg";
import { withTransaction } from "../../../db/transaction.js";

export { CommitThenThrow, type Queryable } from "../../../db/transaction.js";

/**
 * Runs `fn` in one transaction on a pooled connection (db/transaction.ts). A CommitThenThrow keeps
 * the work (GoTrue's `NewCommitWithError`, used when a refresh-token family is revoked) and then fails.
 */
export function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(pool, {}, fn);
}

/** The unique-violation SQLSTATE, for "this email is taken" races between two sign-ups. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/** GoTrue writes the nil UUID into `instance_id`; so do we, so rows look the same. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
