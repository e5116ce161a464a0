/** Helpers for PostgreSQL connection strings. Passwords never leave here unmasked for printing. */

/** Replaces the password of every URL-shaped connection string in `text` with `****`. */
export function maskSecrets(text: string): string {
  return text.replace(
    /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@\s/]*)(@)/gi,
    (_m, head: string, _pw: string, at: string) => `${head}****${at}`,
  );
}

/** The same URL logged in as another role, with that role's password. */
export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** The same URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database name of a URL (`postgres` when none is given, as libpq does for that user). */
export function databaseName(url: string): string {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  return name || decodeURIComponent(parsed.username) || "postgres";
}

/** Checks that a string is a postgres:// URL, returning a reason when it is not. */
export function invalidDatabaseUrlReason(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a URL (expected postgresql://user:password@host:port/database)";
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    return `its scheme is ${parsed.protocol} (expected postgresql:)`;
  }
  if (!parsed.hostname) return "it names no host";
  return null;
}

/** The local URL of the embedded cluster as the superuser, as `supabase status` prints it. */
export function embeddedDatabaseUrl(port: number, database = "postgres"): string {
  return `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`;
}
