import pg from "pg";

/**
 * The two connection pools of a running server.
 * - `api`: logged in as `authenticator` (no superuser, no BYPASSRLS); every read or write of user
 *   data goes through {@link withContext} on this pool.
 * - `admin`: the database URL's own role; used only by platform internals that need it, each in
 *   one named place (auth tables, migrations, signed storage reads).
 */
export interface Database {
  readonly api: pg.Pool;
  readonly admin: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly adminUrl: string;
  readonly apiUrl: string;
  readonly poolSize: number;
  readonly applicationName?: string;
}

// Return bigint (int8) and numeric as strings, the way PostgREST's JSON keeps their precision;
// the data API builds JSON in Postgres anyway, so this only affects platform code.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export function connectDatabase(options: DatabaseOptions): Database {
  const applicationName = options.applicationName ?? "groundwork";
  const api = new pg.Pool({
    connectionString: options.apiUrl,
    max: options.poolSize,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
  });
  const admin = new pg.Pool({
    connectionString: options.adminUrl,
    max: Math.max(2, Math.ceil(options.poolSize / 2)),
    application_name: `${applicationName} (platform)`,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection must not crash the process; the pool drops it.
  api.on("error", () => {});
  admin.on("error", () => {});
  let closed: Promise<void> | null = null;
  return {
    api,
    admin,
    close() {
      closed ??= Promise.all([api.end(), admin.end()]).then(() => {});
      return closed;
    },
  };
}
