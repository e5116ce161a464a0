import pg from "pg";

/**
 * Anything that runs one parameterized query: a pool, a pooled client, a plain client. SQL
 * functions take one of these, so the caller decides whether they run inside a transaction.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export type Isolation = "read committed" | "repeatable read" | "serializable";

export interface TransactionSettings {
  /** `READ ONLY`; default read write. */
  readonly readOnly?: boolean;
  /** Default: the database's (read committed). */
  readonly isolation?: Isolation;
  /** End with ROLLBACK even when the function succeeds: a rehearsal (dry runs) or a probe. */
  readonly rollback?: boolean;
}

/**
 * Runs `fn` with a connection from `pool` and gives it back on every exit path. A connection whose
 * state is unknown after an error (a failed ROLLBACK) is destroyed rather than reused: `fn` may
 * throw a {@link BrokenConnection} to say so.
 *
 * @example
 * const tables = await withClient(db.admin, (client) => listTables(client));
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (error) {
    if (error instanceof BrokenConnection) {
      broken = error;
      throw error.cause;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `fn` in one transaction: BEGIN (with the settings), `fn`, COMMIT (ROLLBACK with
 * `rollback: true`); ROLLBACK when `fn` throws, and the error is rethrown. Given a pool, it takes a connection for the transaction and gives it
 * back (destroyed if the ROLLBACK failed); given a client, it uses that client, which must not be
 * inside a transaction already. A {@link CommitThenThrow} thrown by `fn` commits, then rethrows
 * the error it carries.
 *
 * @example
 * await withTransaction(db.admin, { isolation: "serializable" }, async (client) => {
 *   await client.query("insert into audit.log ...");
 * });
 */
export async function withTransaction<T, C extends pg.ClientBase = pg.PoolClient>(
  target: pg.Pool | C,
  settings: TransactionSettings,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  if (target instanceof pg.Pool) {
    return withClient(target, (client) =>
      transaction(client as unknown as C, settings, fn).catch((error: unknown) => {
        throw error instanceof RollbackFailed ? new BrokenConnection(error.error) : error;
      }),
    );
  }
  return transaction(target, settings, fn).catch((error: unknown) => {
    throw error instanceof RollbackFailed ? error.error : error;
  });
}

async function transaction<T, C extends pg.ClientBase>(
  client: C,
  settings: TransactionSettings,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  await client.query(beginStatement(settings));
  let result: T;
  try {
    result = await fn(client);
  } catch (error) {
    if (error instanceof CommitThenThrow) {
      await client.query("commit");
      throw error.error;
    }
    try {
      await client.query("rollback");
    } catch {
      throw new RollbackFailed(error);
    }
    throw error;
  }
  await client.query(settings.rollback ? "rollback" : "commit");
  return result;
}

/** `begin [isolation level ...] [read only]`. */
export function beginStatement(settings: TransactionSettings = {}): string {
  const parts = ["begin"];
  if (settings.isolation) parts.push(`isolation level ${settings.isolation}`);
  if (settings.readOnly) parts.push("read only");
  return parts.join(" ");
}

/** Thrown inside {@link withTransaction} to keep the work done so far and still fail. */
export class CommitThenThrow extends Error {
  constructor(readonly error: Error) {
    super(error.message);
    this.name = "CommitThenThrow";
  }
}

/** Thrown inside {@link withClient}: the connection is in an unknown state; destroy it, throw `cause`. */
export class BrokenConnection extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "BrokenConnection";
  }
}

/** The transaction's error, when the ROLLBACK after it failed too (the connection is unusable). */
class RollbackFailed extends Error {
  constructor(readonly error: unknown) {
    super("rollback failed");
  }
}
