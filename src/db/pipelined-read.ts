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
    return await new Promise<(string | null)[] | null>((resolve, reject) => {
      const pipeline = new ReadPipeline(settings, statement, (error, row) => {
        if (error) {
          // A failure that is not a database error leaves the connection unusable.
          if (!("severity" in error)) broken = error;
          reject(error);
        } else resolve(row);
      });
      // @types/pg types the connection a submittable receives as its full class; this one uses
      // only the methods of Connection below.
      client.query(pipeline as unknown as pg.Submittable);
    });
  } finally {
    client.release(broken);
  }
}

/** Names for the settings statements' few shapes (which settings a request makes). */
const settingsNames = new Map<string, string>();

function settingsStatementName(text: string): string {
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
class ReadPipeline {
  #completed = 0;
  #row: (string | null)[] | null = null;
  #connection: Connection | null = null;
  #finished = false;

  readonly #names: string[];

  constructor(
    private readonly settings: PreparedStatement,
    private readonly statement: PreparedStatement,
    private readonly done: Done,
  ) {
    this.#names = [settings.name, `${statement.name}_p`];
  }

  submit(connection: Connection): void {
    this.#connection = connection;
    const prepared = preparedOn.get(connection) ?? new Set<string>();
    preparedOn.set(connection, prepared);
    const statements = [this.settings, this.statement];
    connection.stream.cork?.();
    try {
      statements.forEach(({ text, values }, i) => {
        const name = this.#names[i] as string;
        if (!prepared.has(name)) {
          connection.close({ type: "S", name });
          connection.parse({ text, name });
        }
        // Until this pipeline succeeds it is not known whether the Parse took effect.
        prepared.delete(name);
        connection.bind({ statement: name, values });
        connection.execute({ rows: 0 });
      });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    // The first statement's row is the settings' set_config results; the second is the answer.
    if (this.#completed === 1 && this.#row === null) this.#row = message.fields;
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
    // Ran without error: later requests on this connection bind both by name.
    const prepared = this.#connection ? preparedOn.get(this.#connection) : undefined;
    for (const name of this.#names) prepared?.add(name);
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
    connection.sendCopyFail("COPY is not part of a read");
  }
  handleCopyData(): void {}
}
