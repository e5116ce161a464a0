import type pg from "pg";
import { quoteIdent, quoteQualified } from "../../db/sql.js";
import { insertableColumns } from "../backup/checksums.js";
import { hasTenancy } from "./plan.js";

export interface CopiedUsers {
  readonly users: number;
  readonly identities: number;
  readonly tenants: number;
  readonly memberships: number;
}

/**
 * Copies the test users to the target: every local `auth.users` row upserted by id (password hashes
 * as they are, so the same passwords work), their `auth.identities` and `groundwork.memberships`
 * replaced by the local ones, and every local `groundwork.tenants` row upserted by id (the public
 * rows and memberships point at them). Target users that are not local are left alone. Runs on the
 * caller's connections, inside their transactions.
 */
export async function copyUsers(local: pg.ClientBase, target: pg.ClientBase): Promise<CopiedUsers> {
  const ids = (await local.query<{ id: string }>("select id::text from auth.users")).rows.map((r) => r.id);
  const tenancy = (await hasTenancy(local)) && (await hasTenancy(target));
  const tenants = tenancy ? await upsertRows(local, target, "groundwork", "tenants", ["id"]) : 0;
  const users = await upsertRows(local, target, "auth", "users", ["id"]);
  await target.query("delete from auth.identities where user_id = any($1::uuid[])", [ids]);
  const identities = await upsertRows(local, target, "auth", "identities", ["id"]);
  let memberships = 0;
  if (tenancy) {
    await target.query("delete from groundwork.memberships where user_id = any($1::uuid[])", [ids]);
    memberships = await upsertRows(local, target, "groundwork", "memberships", ["user_id", "tenant_id"]);
  }
  return { users, identities, tenants, memberships };
}

/**
 * Reads the local rows of a table as one JSON array and upserts them on the target on `key`, over
 * the columns both sides have (matched by name; generated columns left out).
 */
async function upsertRows(
  local: pg.ClientBase,
  target: pg.ClientBase,
  schema: string,
  name: string,
  key: readonly string[],
): Promise<number> {
  const localColumns = await insertableColumns(local, { schema, name });
  const targetColumns = await insertableColumns(target, { schema, name });
  if (!localColumns || !targetColumns) return 0;
  const shared = new Set(targetColumns);
  const columns = localColumns.filter((c) => shared.has(c)).map(quoteIdent);
  const table = quoteQualified(schema, name);
  const { rows } = await local.query<{ data: string | null; n: string }>(
    `select json_agg(t)::text as data, count(*) as n from (select ${columns.join(", ")} from ${table}) t`,
  );
  const data = rows[0]?.data;
  if (!data) return 0;
  const updates = columns.filter((c) => !key.map(quoteIdent).includes(c));
  await target.query(
    `insert into ${table} (${columns.join(", ")}) overriding system value
     select ${columns.join(", ")} from json_populate_recordset(null::${table}, $1::json)
     on conflict (${key.map(quoteIdent).join(", ")}) do ${
       updates.length === 0
         ? "nothing"
         : `update set ${updates.map((c) => `${c} = excluded.${c}`).join(", ")}`
     }`,
    [data],
  );
  return Number(rows[0]?.n ?? 0);
}
