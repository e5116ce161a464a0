import {
  clientRolesWith,
  exposedSchema,
  notFromExtension,
  policyCommand,
  policyForClients,
  policyRoles,
  qualified,
  userSchema,
} from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

const DOCS = "https://supabase.com/docs/guides/database/database-linter?lint=";

/** Row-level security switched off, or on without policies (splinter 0013, 0007, 0008). */
export const rlsStateLints: readonly LintDefinition[] = [
  {
    name: "rls_disabled_in_public",
    code: "0013",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "RLS disabled on an exposed table",
    why: "The data API serves this table and anon or authenticated may read it, but row-level security is off: anyone with the anon key reads every row.",
    fix: "alter table <table> enable row level security; then add policies for what each role may see (or revoke the grants if the API should not serve it).",
    remediation: `${DOCS}0013_rls_disabled_in_public`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s is served by the data API and readable by %s, but row-level security is off: every row is readable.',
                      ${qualified("n", "c")}, array_to_string(readers, ' and ')) as detail,
               format('rls_disabled_in_public_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'roles', readers) as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        cross join lateral (select ${clientRolesWith("SELECT", "c.oid")} as readers) r
        where c.relkind in ('r', 'p') and not c.relispartition and not c.relrowsecurity
          and ${exposedSchema("n")} and ${notFromExtension("c.oid")} and cardinality(readers) > 0
        order by 1`,
    },
  },
  {
    name: "policy_exists_rls_disabled",
    code: "0007",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "Policies exist but RLS is disabled",
    why: "Policies only take effect when row-level security is on; with it off they are silently ignored and every row is reachable to anyone granted the table.",
    fix: "alter table <table> enable row level security;",
    remediation: `${DOCS}0007_policy_exists_rls_disabled`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has policies (%s) but row-level security is off: they are ignored.',
                      ${qualified("n", "c")}, string_agg(quote_ident(p.polname), ', ' order by p.polname)) as detail,
               format('policy_exists_rls_disabled_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table',
                                  'policies', array_agg(p.polname order by p.polname)) as metadata
        from pg_catalog.pg_policy p
        join pg_catalog.pg_class c on c.oid = p.polrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where not c.relrowsecurity and ${userSchema("n")} and ${notFromExtension("c.oid")}
        group by n.nspname, c.relname
        order by 1`,
    },
  },
  {
    name: "rls_enabled_no_policy",
    code: "0008",
    level: "INFO",
    categories: ["SECURITY"],
    title: "RLS enabled without any policy",
    why: "With row-level security on and no policy, nobody but the owner and service_role reaches a row: the API returns nothing and every write fails. Usually a forgotten policy.",
    fix: "Add the policies the table needs (create policy ... to authenticated using (...)), or exclude the finding if the table is deliberately private.",
    remediation: `${DOCS}0008_rls_enabled_no_policy`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has row-level security on but no policy: only its owner and service_role reach its rows.',
                      ${qualified("n", "c")}) as detail,
               format('rls_enabled_no_policy_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table') as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and c.relrowsecurity and ${userSchema("n")} and ${notFromExtension("c.oid")}
          and not exists (select from pg_catalog.pg_policy p where p.polrelid = c.oid)
        order by 1`,
    },
  },
];

/** What policies say (splinter 0015, 0024). */
export const policyContentLints: readonly LintDefinition[] = [
  {
    name: "rls_references_user_metadata",
    code: "0015",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "Policy trusts user_metadata",
    why: "user_metadata is written by the user: anyone signed in can call updateUser({ data: { role: 'admin' } }) and pass a policy that trusts it.",
    fix: "Authorise from app_metadata (only the service role and the access token hook write it) or from a membership table: auth.jwt() -> 'app_metadata' ->> 'tenant_role'.",
    remediation: `${DOCS}0015_rls_references_user_metadata`,
    check: {
      sql: `
        select format('%s policy %I', ${qualified("n", "c")}, p.polname) as object,
               format('Policy %I on %s reads user_metadata, which every user can change for themselves.',
                      p.polname, ${qualified("n", "c")}) as detail,
               format('rls_references_user_metadata_%s_%s_%s', n.nspname, c.relname, p.polname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'policy', p.polname) as metadata
        from pg_catalog.pg_policy p
        join pg_catalog.pg_class c on c.oid = p.polrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where ${userSchema("n")}
          and concat(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ' ', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
              ~* 'user_metadata|raw_user_meta_data'
        order by 1`,
    },
  },
  {
    name: "rls_policy_always_true",
    code: "0024",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Write policy that is always true",
    why: "A permissive INSERT, UPDATE, DELETE or ALL policy whose USING or WITH CHECK is true (or an INSERT policy without WITH CHECK) lets every caller it names write any row: row-level security is off for that command. SELECT ... USING (true) is left alone, as deliberate public reads.",
    fix: "Write the condition the row must meet, e.g. using (tenant_id = (select ...)) with check (tenant_id = (select ...)); for INSERT, a WITH CHECK.",
    remediation: `${DOCS}0024_permissive_rls_policy`,
    check: {
      sql: `
        with policies as (
          select n.nspname, c.relname, p.polname, ${policyCommand("p")} as command, ${policyRoles("p")} as roles,
                 p.polqual is null as no_using, p.polwithcheck is null as no_check,
                 regexp_replace(lower(coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '')), '\\s', '', 'g')
                   in ('true', '(true)', '1=1', '(1=1)') as using_true,
                 regexp_replace(lower(coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')), '\\s', '', 'g')
                   in ('true', '(true)', '1=1', '(1=1)') as check_true
          from pg_catalog.pg_policy p
          join pg_catalog.pg_class c on c.oid = p.polrelid
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where c.relrowsecurity and p.polpermissive and ${userSchema("n")} and ${policyForClients("p")}
        ), judged as (
          select *,
                 command in ('UPDATE', 'DELETE', 'ALL') and using_true as open_using,
                 check_true or (command = 'INSERT' and no_check)
                   or (command in ('UPDATE', 'ALL') and no_check and using_true) as open_check
          from policies
        )
        select format('%I.%I policy %I', nspname, relname, polname) as object,
               format('Policy %I on %I.%I (FOR %s TO %s) lets them write any row: %s.', polname, nspname, relname,
                      command, roles,
                      case when command = 'INSERT' and no_check then 'it has no WITH CHECK'
                           when open_using and open_check then 'USING and WITH CHECK are always true'
                           when open_using then 'USING is always true'
                           else 'WITH CHECK is always true' end) as detail,
               format('rls_policy_always_true_%s_%s_%s', nspname, relname, polname) as cache_key,
               jsonb_build_object('schema', nspname, 'name', relname, 'type', 'table', 'policy', polname,
                                  'command', command, 'roles', roles) as metadata
        from judged
        where open_using or open_check
        order by 1`,
    },
  },
];
