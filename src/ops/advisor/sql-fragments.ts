/**
 * SQL pieces the lint queries share, so that "a user schema", "exposed" and "a client role can"
 * mean the same thing in every lint. Each takes the alias of the catalog row it tests.
 */

/**
 * Schemas no lint looks into: PostgreSQL's, Groundwork's platform schema, and the schemas that
 * Supabase's services and common extensions own (splinter's list). Passed to the queries as `$3`.
 */
export const PLATFORM_SCHEMAS: readonly string[] = [
  "auth",
  "storage",
  "realtime",
  "extensions",
  "graphql",
  "graphql_public",
  "groundwork",
  "information_schema",
  "pgbouncer",
  "pgmq",
  "pgroonga",
  "pgsodium",
  "pgsodium_masks",
  "pgtle",
  "net",
  "cron",
  "repack",
  "supabase_functions",
  "supabase_migrations",
  "tiger",
  "topology",
  "vault",
];

/** The namespace `ns` is a user schema (not PostgreSQL's and not a platform schema). */
export function userSchema(ns: string): string {
  return `not (${ns}.nspname = any($3::text[]) or ${ns}.nspname like 'pg\\_%' or ${ns}.nspname like '\\_timescaledb\\_%')`;
}

/** The namespace `ns` is served by the data API (and is a user schema). */
export function exposedSchema(ns: string): string {
  return `(${ns}.nspname = any($1::text[]) and ${userSchema(ns)})`;
}

/** The object `oid` of catalog `catalog` does not belong to an extension. */
export function notFromExtension(oid: string, catalog = "pg_catalog.pg_class"): string {
  return `not exists (select from pg_catalog.pg_depend d
    where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;
}

/** The client roles (as a text[]) that hold `privilege` on the relation `oid`. */
export function clientRolesWith(privilege: string, oid: string): string {
  return `array(select r.name from unnest($2::text[]) as r (name)
    where pg_catalog.has_table_privilege(r.name, ${oid}, '${privilege}'))`;
}

/** The policy `p` applies to a client role or to PUBLIC. */
export function policyForClients(p: string): string {
  return `(${p}.polroles = '{0}'::oid[] or exists (select from unnest(${p}.polroles) as pr (oid)
    join pg_catalog.pg_roles rr on rr.oid = pr.oid where rr.rolname = any($2::text[])))`;
}

/** A policy's roles, readable: `{authenticated}`, or `{public}` for PUBLIC. */
export function policyRoles(p: string): string {
  return `(select coalesce(string_agg(case when pr.oid = 0 then 'public' else pg_catalog.quote_ident(rr.rolname) end, ', '), 'public')
    from unnest(${p}.polroles) as pr (oid) left join pg_catalog.pg_roles rr on rr.oid = pr.oid)`;
}

/** A policy's command as written in CREATE POLICY. */
export function policyCommand(p: string): string {
  return `(case ${p}.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE'
    when 'd' then 'DELETE' else 'ALL' end)`;
}

/** `schema.table`, quoted where needed. */
export function qualified(ns: string, rel: string): string {
  return `format('%I.%I', ${ns}.nspname, ${rel}.relname)`;
}

/** Some valid index on table `rel` has column `attnum` as its first key column. */
export function leadsAnIndex(rel: string, attnum: string): string {
  return `exists (select from pg_catalog.pg_index i
    where i.indrelid = ${rel} and i.indisvalid and i.indpred is null and i.indkey[0] = ${attnum})`;
}
