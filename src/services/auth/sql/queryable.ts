import type pg from "pg";

/** A pool or a client inside a transaction: the SQL functions take whichever the flow holds. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * Runs `fn` in one transaction on a pooled connection. A {@link CommitThenThrow} keeps the work
 * (GoTrue's `NewCommitWithError`, used when a refresh-token family is revoked) and then fails.
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("begin");
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    if (error instanceof CommitThenThrow) {
      await client.query("commit");
      throw error.error;
    }
    await client.query("rollback").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Thrown inside {@link transaction} to keep the work done so far and still fail the request. */
export class CommitThenThrow extends Error {
  constructor(readonly error: Error) {
    super(error.message);
    this.name = "CommitThenThrow";
  }
}

/** The unique-violation SQLSTATE, for "this email is taken" races between two sign-ups. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/** GoTrue writes the nil UUID into `instance_id`; so do we, so rows look the same. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
