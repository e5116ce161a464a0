import type pg from "pg";
import {
  applyDatabaseSettings,
  installPlatform,
  type PlatformFile,
  platformFiles,
} from "../../platform/apply.js";
import type { TargetKind } from "./types.js";

/**
 * Platform files for parts a Supabase project already has, managed by Supabase itself: its roles
 * and grants, the `extensions` schema, the `auth` and `storage` schemas (owned by
 * supabase_auth_admin / supabase_storage_admin; replacing `auth.uid()` or adding indexes there
 * would fail for the `postgres` role, or worse, change what Supabase's services rely on; the
 * PKCE and MFA index files only add indexes on GoTrue's tables, which GoTrue keeps its own of), and the
 * realtime publication with the pgrst_ddl_watch event trigger, the `realtime` schema, and the
 * `supabase_functions` schema of database webhooks (owned by supabase_functions_admin). The other
 * files only create the
 * `groundwork` schema (tenancy kit, audit, mail outbox, rate limits), which the migrations need.
 */
export const SUPABASE_PROVIDES: ReadonlySet<string> = new Set([
  "roles",
  "extensions",
  "auth",
  "storage",
  "storage_current",
  "storage_security",
  "storage_trash",
  "api",
  "auth_indexes",
  "auth_flow_state",
  "auth_mfa",
  "realtime",
  "webhooks",
  "vault",
]);

export interface TargetPlatform {
  readonly kind: TargetKind;
  /** Files to install: new, or changed since they were installed. */
  readonly install: readonly PlatformFile[];
  readonly skipped: readonly PlatformFile[];
}

/**
 * What the target has of the platform schema. A database with an `auth` schema that Groundwork's
 * platform history does not account for is a Supabase project's.
 */
export async function inspectTargetPlatform(client: pg.ClientBase): Promise<TargetPlatform> {
  const rows = await installedPlatformFiles(client);
  const installed = new Map(rows.map((row) => [row.version, row]));
  const auth = await client.query<{ present: boolean }>(
    "select to_regnamespace('auth') is not null as present",
  );
  const groundworkAuth = [...installed.values()].some((row) => row.name === "auth");
  const kind: TargetKind =
    auth.rows[0]?.present && !groundworkAuth ? "supabase" : installed.size === 0 ? "bare" : "groundwork";
  const missing = platformFiles().filter((file) => installed.get(file.version)?.checksum !== file.checksum);
  const provided = (file: PlatformFile) => kind === "supabase" && SUPABASE_PROVIDES.has(file.name);
  return {
    kind,
    install: missing.filter((file) => !provided(file)),
    skipped: missing.filter(provided),
  };
}

async function installedPlatformFiles(
  client: pg.ClientBase,
): Promise<{ version: number; name: string; checksum: string }[]> {
  const { rows } = await client.query<{ present: boolean }>(
    "select to_regclass('groundwork.platform_migrations') is not null as present",
  );
  if (!rows[0]?.present) return [];
  const history = await client.query<{ version: number; name: string; checksum: string }>(
    "select version, name, checksum from groundwork.platform_migrations",
  );
  return history.rows;
}

/**
 * Installs the target's missing platform files inside the push's open transaction (see
 * installPlatform). On a database Groundwork manages it also sets the database's search_path
 * (extensions after public) and this session's, so the migrations that follow see `extensions`
 * as a fresh connection would.
 */
export async function installPlatformInTransaction(
  client: pg.ClientBase,
  target: TargetPlatform,
): Promise<string[]> {
  const ran = await installPlatform(client, target.install);
  // A Supabase project keeps its own database settings.
  if (target.kind !== "supabase") {
    await applyDatabaseSettings(client);
    await client.query(`set search_path = "$user", public, extensions`);
  }
  return ran;
}
