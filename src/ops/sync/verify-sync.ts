import pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import { insertableColumns } from "../backup/checksums.js";
import { verifyDatabases } from "../verify/verify.js";
import { hasTenancy } from "./plan.js";
import type { SyncedTableCheck, SyncVerification } from "./types.js";

/** The tables a sync copies only partly (the test users); compared user by user instead. */
const USER_TABLES = new Set([
  "auth.users",
  "auth.identities",
  "groundwork.tenants",
  "groundwork.memberships",
]);

/**
 * Checks a finished sync: every public table equal local vs target by row count and checksum
 * (ops/verify's comparison), and every local user present on the target with the same row (password
 * hash included), identities and memberships. The other tables (audit log, storage, sessions...)
 * are outside the sync and only listed.
 */
export async function verifySync(localUrl: string, targetUrl: string): Promise<SyncVerification> {
  const result = await verifyDatabases(localUrl, targetUrl);
  const tables: SyncedTableCheck[] = result.tables
    .filter((t) => t.table.startsWith("public."))
    .map((t) => ({
      table: t.table,
      localRows: t.local?.rows ?? null,
      targetRows: t.target?.rows ?? null,
      localChecksum: t.local?.checksum ?? null,
      targetChecksum: t.target?.checksum ?? null,
      equal: t.equal,
    }));
  const notSynced = [...result.tables.map((t) => t.table), ...result.skipped]
    .filter((name) => !name.startsWith("public.") && !USER_TABLES.has(name))
    .sort();
  const [local, target] = [
    new pg.Client({ connectionString: localUrl }),
    new pg.Client({ connectionString: targetUrl }),
  ];
  await Promise.all([local.connect(), target.connect()]);
  try {
    const expected = await userFingerprints(local, local);
    const actual = await userFingerprints(target, local, [...expected.keys()]);
    const usersDiffering = [...expected.entries()]
      .filter(([id, fingerprint]) => actual.get(id)?.fingerprint !== fingerprint.fingerprint)
      .map(([id, fingerprint]) => fingerprint.email ?? id);
    return {
      tables,
      usersDiffering,
      usersChecked: expected.size,
      notSynced,
      equal: tables.every((t) => t.equal) && usersDiffering.length === 0,
    };
  } finally {
    await Promise.all([local.end(), target.end()]);
  }
}

/**
 * Per user id: an md5 of the user's row (over the local insertable columns), identities and
 * memberships, so two databases can be compared user by user.
 */
async function userFingerprints(
  client: pg.ClientBase,
  reference: pg.ClientBase,
  ids?: readonly string[],
): Promise<Map<string, { email: string | null; fingerprint: string }>> {
  const userColumns = (await insertableColumns(reference, { schema: "auth", name: "users" })) ?? ["id"];
  const identityColumns = (await insertableColumns(reference, { schema: "auth", name: "identities" })) ?? [
    "id",
  ];
  const tenancy = await hasTenancy(client);
  const row = (alias: string, columns: readonly string[]) =>
    `row(${columns.map((c) => `${alias}.${quoteIdent(c)}`).join(", ")})::text`;
  const memberships = tenancy
    ? `(select string_agg(${row("m", ["tenant_id", "role", "is_active", "created_at"])}, ',' order by m.tenant_id)
        from groundwork.memberships m where m.user_id = u.id)`
    : "''";
  const { rows } = await client.query<{ id: string; email: string | null; fingerprint: string }>(
    `select u.id::text, u.email, md5(concat_ws('|', ${row("u", userColumns)},
       (select string_agg(${row("i", identityColumns)}, ',' order by i.id) from auth.identities i where i.user_id = u.id),
       ${memberships})) as fingerprint
     from auth.users u ${ids ? "where u.id = any($1::uuid[])" : ""}`,
    ids ? [ids] : [],
  );
  return new Map(rows.map((r) => [r.id, { email: r.email, fingerprint: r.fingerprint }]));
}
