import type pg from "pg";
import type { SeededUser } from "./types.js";

/** Whether the database has Groundwork's tenancy kit (tenants and memberships). */
export async function hasTenancy(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    "select to_regclass('groundwork.tenants') is not null and to_regclass('groundwork.memberships') is not null as ok",
  );
  return rows[0]?.ok === true;
}

/**
 * Creates the test tenant if it is missing, and makes each user a member of it with their role,
 * as their active tenant (the one the access token hook puts in their token, so they see the
 * seeded data when they sign in). Another active membership of theirs is made inactive, not
 * removed. Nothing is written when all of it is already so.
 */
export async function ensureMemberships(
  client: pg.ClientBase,
  tenant: { readonly id: string; readonly name: string },
  users: readonly SeededUser[],
): Promise<void> {
  await client.query(
    "insert into groundwork.tenants (id, name) values ($1, $2) on conflict (id) do nothing",
    [tenant.id, tenant.name],
  );
  const ids = users.map((user) => user.id);
  // Deactivate first: at most one membership per user may be active, checked row by row.
  await client.query(
    "update groundwork.memberships set is_active = false where user_id = any($1::uuid[]) and tenant_id <> $2 and is_active",
    [ids, tenant.id],
  );
  await client.query(
    `insert into groundwork.memberships (user_id, tenant_id, role, is_active)
     select u.id, $2, u.role, true from unnest($1::uuid[], $3::text[]) as u (id, role)
     on conflict (user_id, tenant_id) do update set role = excluded.role, is_active = true
     where groundwork.memberships.role is distinct from excluded.role or not groundwork.memberships.is_active`,
    [ids, tenant.id, users.map((user) => user.role)],
  );
}
