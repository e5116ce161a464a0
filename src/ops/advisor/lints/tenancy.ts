import {
  exposedSchema,
  leadsAnIndex,
  notFromExtension,
  policyCommand,
  policyForClients,
  policyRoles,
  qualified,
  userSchema,
} from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

/** Tenant tables (a tenant_id column) under RLS in exposed schemas: oid, names, tenant_id's attnum. */
const TENANT_TABLES = `
  select c.oid, n.nspname, c.relname, a.attnum
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
  where c.relkind in ('r', 'p') and not c.relispartition and c.relrowsecurity and ${exposedSchema("n")}`;

/** The policy `p` depends on a column named tenant_id (its own table's, or one it joins to). */
const REFERENCES_TENANT = (p: string) => `exists (
  select from pg_catalog.pg_depend d
  join pg_catalog.pg_attribute da on da.attrelid = d.refobjid and da.attnum = d.refobjsubid
  where d.classid = 'pg_catalog.pg_policy'::regclass and d.objid = ${p}.oid
    and d.refclassid = 'pg_catalog.pg_class'::regclass and da.attname = 'tenant_id')`;

/** The check a write must pass under policy `p`: WITH CHECK, else USING for UPDATE and ALL. */
const WRITE_CHECK = (p: string) => `coalesce(pg_catalog.pg_get_expr(${p}.polwithcheck, ${p}.polrelid),
  case when ${p}.polcmd in ('w', '*') then pg_catalog.pg_get_expr(${p}.polqual, ${p}.polrelid) end, '')`;

/** A restrictive policy on the same table and command as `p` does the tenant check for it. */
const RESTRICTIVE_COVERS = (p: string, condition: (r: string) => string) => `exists (
  select from pg_catalog.pg_policy r
  where r.polrelid = ${p}.polrelid and not r.polpermissive and (r.polcmd = '*' or r.polcmd = ${p}.polcmd)
    and ${condition("r")})`;

/** Groundwork's multi-tenancy lints: tenant isolation and the indexes it needs. */
export const tenancyLints: readonly LintDefinition[] = [
  {
    name: "tenant_write_policy_unchecked",
    code: "GW",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "Write policy does not check tenant_id",
    why: "On a tenant table, the WITH CHECK of an INSERT, UPDATE or ALL policy decides which rows may be written. If it never looks at tenant_id (or is missing), a caller it admits can insert a row with another tenant's id, or update a row's tenant_id to move it there.",
    fix: "Give the policy a WITH CHECK on the tenant, e.g. with check (tenant_id = (select (auth.jwt() -> 'app_metadata' ->> 'tenant_id')::uuid)), or protect the table with the tenancy kit.",
    check: {
      sql: `
        with tenant_tables as (${TENANT_TABLES})
        select format('%I.%I policy %I', t.nspname, t.relname, p.polname) as object,
               format('Policy %I on tenant table %I.%I (FOR %s TO %s) %s: rows can be written into another tenant.',
                      p.polname, t.nspname, t.relname, ${policyCommand("p")}, ${policyRoles("p")},
                      case when ${WRITE_CHECK("p")} = '' then 'has no WITH CHECK'
                           else 'has a WITH CHECK that never looks at tenant_id' end) as detail,
               format('tenant_write_policy_unchecked_%s_%s_%s', t.nspname, t.relname, p.polname) as cache_key,
               jsonb_build_object('schema', t.nspname, 'name', t.relname, 'type', 'table', 'policy', p.polname,
                                  'command', ${policyCommand("p")}) as metadata
        from pg_catalog.pg_policy p
        join tenant_tables t on t.oid = p.polrelid
        where p.polpermissive and p.polcmd in ('a', 'w', '*') and ${policyForClients("p")}
          and ${WRITE_CHECK("p")} !~ '\\mtenant_id\\M'
          and not ${RESTRICTIVE_COVERS("p", (r) => `${WRITE_CHECK(r)} ~ '\\mtenant_id\\M'`)}
        order by 1`,
    },
  },
  {
    name: "tenant_policy_unscoped",
    code: "GW",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Policy on a tenant table ignores the tenant",
    why: "Permissive policies are ORed: one policy on a tenant table that never looks at tenant_id (directly or through a join) admits matching rows of every tenant, whatever the other policies say. (INSERT policies are judged by tenant_write_policy_unchecked.)",
    fix: "Add the tenant condition to the policy (tenant_id = (select ...) and ...), or add a RESTRICTIVE policy that pins tenant_id for every command.",
    check: {
      sql: `
        with tenant_tables as (${TENANT_TABLES})
        select format('%I.%I policy %I', t.nspname, t.relname, p.polname) as object,
               format('Policy %I on tenant table %I.%I (FOR %s TO %s) never looks at tenant_id: rows of other tenants that pass it are reachable.',
                      p.polname, t.nspname, t.relname, ${policyCommand("p")}, ${policyRoles("p")}) as detail,
               format('tenant_policy_unscoped_%s_%s_%s', t.nspname, t.relname, p.polname) as cache_key,
               jsonb_build_object('schema', t.nspname, 'name', t.relname, 'type', 'table', 'policy', p.polname) as metadata
        from pg_catalog.pg_policy p
        join tenant_tables t on t.oid = p.polrelid
        where p.polpermissive and p.polcmd <> 'a' and ${policyForClients("p")} and not ${REFERENCES_TENANT("p")}
          and not ${RESTRICTIVE_COVERS("p", REFERENCES_TENANT)}
        order by 1`,
    },
  },
  {
    name: "tenant_id_unindexed",
    code: "GW",
    level: "WARN",
    categories: ["PERFORMANCE"],
    title: "Tenant table without an index on tenant_id",
    why: "Every tenant policy and every tenant-scoped query filters on tenant_id; without an index that starts with it, each of them scans the whole table (all tenants' rows).",
    fix: "create index on <table> (tenant_id); or lead an existing key with it: primary key (tenant_id, id).",
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Tenant table %s has no index that starts with tenant_id.', ${qualified("n", "c")}) as detail,
               format('tenant_id_unindexed_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table') as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relkind in ('r', 'p') and not c.relispartition and ${userSchema("n")} and ${notFromExtension("c.oid")}
          and not ${leadsAnIndex("c.oid", "a.attnum")}
        order by 1`,
    },
  },
  {
    name: "policy_column_unindexed",
    code: "GW",
    level: "WARN",
    categories: ["PERFORMANCE"],
    title: "Column used by a policy without an index",
    why: "A policy's condition is applied to every row a query touches; a column it compares that leads no index turns each query into a scan (171 ms to under 0.1 ms on 100k rows in Supabase's measurements). A column counts as indexed only when it is the first column of an index.",
    fix: "create index on <table> (<column>);",
    check: {
      sql: `
        select format('%I.%I.%I', n.nspname, c.relname, a.attname) as object,
               format('Column %I of %s is used by %s %s but no index starts with it.', a.attname, ${qualified("n", "c")},
                      case when count(distinct p.oid) = 1 then 'policy' else 'policies' end,
                      string_agg(distinct format('%I on %I.%I', p.polname, pn.nspname, pc.relname), ', ')) as detail,
               format('policy_column_unindexed_%s_%s_%s', n.nspname, c.relname, a.attname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'column', a.attname,
                                  'policies', array_agg(distinct p.polname)) as metadata
        from pg_catalog.pg_depend d
        join pg_catalog.pg_policy p on p.oid = d.objid
        join pg_catalog.pg_class pc on pc.oid = p.polrelid
        join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
        join pg_catalog.pg_class c on c.oid = d.refobjid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = d.refobjsubid
        where d.classid = 'pg_catalog.pg_policy'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
          and d.refobjsubid > 0 and pc.relrowsecurity and c.relkind in ('r', 'p') and ${userSchema("n")}
          -- tenant_id has its own lint; an index on a boolean rarely helps.
          and a.attname <> 'tenant_id' and a.atttypid <> 'pg_catalog.bool'::regtype
          and not ${leadsAnIndex("c.oid", "a.attnum")}
        group by n.nspname, c.relname, a.attname
        order by 1`,
    },
  },
];
