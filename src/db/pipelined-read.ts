import type pg from "pg";
import { withTenantScope } from "./caller-scope.js";
import { preparedSettingsStatement, type RequestContext, type TransactionOptions } from "./context.js";

/** A statement to run as the caller: prepared under `name` on each connection that runs it. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
  readonly values: readonly (string | null)[];
}

/**
 * Runs a read-only statement as the caller in ONE round trip: the request's settings and the
 * statement go to PostgreSQL in a single write as one extended-protocol pipeline (Bind/Execute of
 * the prepared settings statement, Bind/Execute of the prepared statement, one Sync). Everything before
 * the Sync is one implicit transaction, so the transaction-local settings (role, claims,
 * search_path, `transaction_read_only`) hold for the statement and end with it, and an error
 * anywhere rolls all of it back — the same guarantees as BEGIN ... COMMIT around the two, without
 * the two extra round trips. Returns the statement's first row as text values (null for NULL).
 *
 * The caller's tenant scope is attached as {@link withContext} attaches it.
 *
 * node-pg runs one query per round trip, so this is a custom submittable (the interface
 * pg-cursor and pg-query-stream use) driving the connection's own message writers.
 */
export async function pipelinedRead(
  pool: pg.Pool,
  ctx: RequestContext,
  statement: PreparedStatement,
  options: Omit<TransactionOptions, "readOnly"> = {},
): Promise<(string | null)[] | null> {
  const { text, values } = preparedSettingsStatement(await withTenantScope(pool, ctx), {
    ...options,
    settings: { ...options.settings, transaction_read_only: "on" },
  });
  const settings = { name: settingsStatementName(text), text, values };
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await runPipeline(client, [settings, { ...statement, name: `${statement.name}_p` }], 1);
  } catch (error) {
    // A failure that is not a database error leaves the connection unusable.
    if (!(error instanceof Error && "severity" in error)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Sends `statements` as one extended-protocol pipeline (Bind/Execute each, one Sync) on `client`
 * and resolves with the first row of the statement at `resultIndex` (null when it returned none).
 * Each statement is prepared on the connection under its own name the first time.
 */
export function runPipeline(
  client: pg.PoolClient,
  statements: readonly PreparedStatement[],
  resultIndex: number,
): Promise<(string | null)[] | null> {
  return new Promise<(string | null)[] | null>((resolve, reject) => {
    const pipeline = new Pipeline(statements, resultIndex, (error, row) => {
      if (error) reject(error);
      else resolve(row);
    });
    // @types/pg types the connection a submittable receives as its full class; this one uses
    // only the methods of Connection below.
    client.query(pipeline as unknown as pg.Submittable);
  });
}

/** Names for the settings statements' few shapes (which settings a request makes). */
const settingsNames = new Map<string, string>();

/** The name the settings statement of this text is prepared under. */
export function settingsStatementName(text: string): string {
  let name = settingsNames.get(text);
  if (name === undefined) {
    name = `groundwork_settings_${settingsNames.size}`;
    settingsNames.set(text, name);
  }
  return name;
}

/**
 * The statements this path has prepared on each connection. Kept apart from node-pg's own
 * bookkeeping, under names of their own (`name` + "_p"), so the two never disagree about what a
 * connection holds: after an error it is not known whether the Parse took effect, so the name is
 * forgotten and the next use closes it first (closing an unknown statement is not an error).
 */
const preparedOn = new WeakMap<Connection, Set<string>>();

/** The parts of node-pg's Connection a submittable writes with. */
interface Connection {
  readonly stream: { cork?(): void; uncork?(): void };
  close(message: { type: "S"; name: string }): void;
  parse(message: { text: string; name?: string; types?: number[] }): void;
  bind(message: { portal?: string; statement?: string; values?: readonly (string | null)[] }): void;
  execute(message: { portal?: string; rows?: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

type Done = (error: Error | null, row: (string | null)[] | null) => void;

/** node-pg's submittable protocol: `submit` writes, the `handle*` methods receive the replies. */
class Pipeline {
  #completed = 0;
  #row: (string | null)[] | null = null;
  #connection: Connection | null = null;
  #finished = false;

  constructor(
    private readonly statements: readonly PreparedStatement[],
    private readonly resultIndex: number,
    private readonly done: Done,
  ) {}

  submit(connection: Connection): void {
    this.#connection = connection;
    const prepared = preparedOn.get(connection) ?? new Set<string>();
    preparedOn.set(connection, prepared);
    connection.stream.cork?.();
    try {
      for (const { name, text, values } of this.statements) {
        if (!prepared.has(name)) {
          connection.close({ type: "S", name });
          connection.parse({ text, name });
        }
        // Until this pipeline succeeds it is not known whether the Parse took effect.
        prepared.delete(name);
        connection.bind({ statement: name, values });
        connection.execute({ rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.#completed === this.resultIndex && this.#row === null) this.#row = message.fields;
  }

  handleCommandComplete(): void {
    this.#completed += 1;
  }

  handleError(error: Error): void {
    // node-pg detaches the submittable on an error: the ReadyForQuery that follows (the server
    // skipped to the Sync, rolling the implicit transaction back) is the client's to handle.
    this.#finish(error, null);
  }

  handleReadyForQuery(): void {
    // Ran without error: later requests on this connection bind these by name.
    const prepared = this.#connection ? preparedOn.get(this.#connection) : undefined;
    for (const { name } of this.statements) prepared?.add(name);
    this.#finish(null, this.#row);
  }

  #finish(error: Error | null, row: (string | null)[] | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.done(error, row);
  }

  handleRowDescription(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: Connection): void {
    connection.sendCopyFail("COPY is not part of a pipeline");
  }
  handleCopyData(): void {}
}
