import {
  clientRolesWith,
  exposedSchema,
  notFromExtension,
  policyCommand,
  qualified,
} from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

/** Tables `c` in exposed schemas (namespace `n`), partitions left to their parent. */
const EXPOSED_TABLE = `c.relkind in ('r', 'p') and not c.relispartition and ${exposedSchema("n")}
  and ${notFromExtension("c.oid")}`;

/** A permissive policy on table `c` lets role `role` (a text expression) run `command`. */
const POLICY_ADMITS = (role: string, command: string) => `exists (
  select from pg_catalog.pg_policy p
  where p.polrelid = c.oid and p.polpermissive and (p.polcmd = '*' or ${policyCommand("p")} = ${command})
    and (p.polroles = '{0}'::oid[]
         or exists (select from pg_catalog.pg_roles pr where pr.rolname = ${role} and pr.oid = any(p.polroles))))`;

/**
 * Grants and policies must tell one story: the API roles' table privileges say which commands
 * may reach a table, the policies say which rows. These lints flag where they disagree.
 */
export const grantLints: readonly LintDefinition[] = [
  {
    name: "rls_disabled_api_writable",
    code: "GW",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "API roles can write a table without RLS",
    why: "anon or authenticated hold INSERT, UPDATE or DELETE on a table the API serves, and row-level security is off: anyone with the anon key can change or delete every row.",
    fix: "alter table <table> enable row level security; with policies for the writes you intend, or revoke insert, update, delete on <table> from anon, authenticated;",
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has row-level security off and %s can insert, update or delete its rows through the data API.',
                      ${qualified("n", "c")}, array_to_string(writers, ' and ')) as detail,
               format('rls_disabled_api_writable_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'roles', writers) as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        cross join lateral (select ${clientRolesWith("INSERT, UPDATE, DELETE", "c.oid")} as writers) w
        where ${EXPOSED_TABLE} and not c.relrowsecurity and cardinality(writers) > 0
        order by 1`,
    },
  },
  {
    name: "api_grant_without_policy",
    code: "GW",
    level: "INFO",
    categories: ["SECURITY"],
    title: "API role granted commands no policy allows",
    why: "With row-level security on, a privilege that no policy lets the role use does nothing today — and exposes the table the day RLS is turned off or a broad policy is added. Supabase grants every privilege on public tables to anon and authenticated by default, so this is usually an anon grant left in place.",
    fix: "revoke <privileges> on <table> from <role>; or, if the role should have access, add a policy for it.",
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('%s holds %s on %s but no policy lets %s use %s.', r.name,
                      string_agg(priv.command, ', ' order by priv.ord), ${qualified("n", "c")}, r.name,
                      case when count(*) = 1 then 'it' else 'them' end) as detail,
               format('api_grant_without_policy_%s_%s_%s', n.nspname, c.relname, r.name) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'role', r.name,
                                  'privileges', array_agg(priv.command order by priv.ord)) as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        cross join unnest($2::text[]) as r (name)
        cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) with ordinality as priv (command, ord)
        where ${EXPOSED_TABLE} and c.relrowsecurity
          and pg_catalog.has_table_privilege(r.name, c.oid, priv.command)
          and not ${POLICY_ADMITS("r.name", "priv.command")}
        group by n.nspname, c.relname, r.name
        order by 1, r.name`,
    },
  },
  {
    name: "policy_without_grant",
    code: "GW",
    level: "INFO",
    categories: ["SECURITY"],
    title: "Policy for a command the role may not run",
    why: "Table privileges are checked before policies: a policy for a role that lacks the privilege never runs, and the role's requests fail with 42501 (permission denied). Usually a revoke that went further than meant, or a policy written for the wrong role.",
    fix: "grant <privilege> on <table> to <role>; or drop the policy.",
    check: {
      sql: `
        select format('%I.%I policy %I', n.nspname, c.relname, p.polname) as object,
               format('Policy %I on %s admits %s for %s, but %s holds no %s privilege on the table.', p.polname,
                      ${qualified("n", "c")}, rr.rolname, ${policyCommand("p")}, rr.rolname,
                      case when p.polcmd = '*' then 'SELECT, INSERT, UPDATE or DELETE' else ${policyCommand("p")} end) as detail,
               format('policy_without_grant_%s_%s_%s_%s', n.nspname, c.relname, p.polname, rr.rolname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'policy', p.polname,
                                  'role', rr.rolname) as metadata
        from pg_catalog.pg_policy p
        join pg_catalog.pg_class c on c.oid = p.polrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_roles rr on rr.oid = any(p.polroles) and rr.rolname = any($2::text[])
        where ${EXPOSED_TABLE} and c.relrowsecurity
          and not pg_catalog.has_table_privilege(rr.rolname, c.oid,
                    case when p.polcmd = '*' then 'SELECT, INSERT, UPDATE, DELETE' else ${policyCommand("p")} end)
        order by 1, rr.rolname`,
    },
  },
];
