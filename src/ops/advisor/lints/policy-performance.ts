import { queryCatalog } from "../catalog.js";
import { unwrappedCalls } from "../expression.js";
import { policyCommand, policyForClients, qualified, userSchema } from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

const DOCS = "https://supabase.com/docs/guides/database/database-linter?lint=";

/** Every policy on an RLS table of a user schema, with its expressions as PostgreSQL prints them. */
const POLICIES = `
  select n.nspname, c.relname, p.polname, ${qualified("n", "c")} as "table", quote_ident(p.polname) as policy,
         concat(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ' ',
                pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)) as expression
  from pg_catalog.pg_policy p
  join pg_catalog.pg_class c on c.oid = p.polrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where c.relrowsecurity and ${userSchema("n")}
  order by 1, 2, 3`;

interface PolicyRow {
  readonly nspname: string;
  readonly relname: string;
  readonly polname: string;
  /** Quoted as needed, for display. */
  readonly table: string;
  readonly policy: string;
  readonly expression: string;
}

/** How policies cost per row (splinter 0003, 0006). */
export const policyPerformanceLints: readonly LintDefinition[] = [
  {
    name: "auth_rls_initplan",
    code: "0003",
    level: "WARN",
    categories: ["PERFORMANCE"],
    title: "Policy re-evaluates auth.<function>() for each row",
    why: "A bare auth.uid() (or auth.jwt(), current_setting()) in a policy runs once per row: on 150,000 rows that is 150,000 calls and seconds of overhead per query. Wrapped in a select, PostgreSQL runs it once per statement.",
    fix: "Write (select auth.uid()) instead of auth.uid(), e.g. using ((select auth.uid()) = user_id).",
    remediation: `${DOCS}0003_auth_rls_initplan`,
    check: {
      run: async (context, client) => {
        const rows = await queryCatalog<PolicyRow>(client, context, POLICIES);
        return rows.flatMap((row) => {
          const calls = [...new Set(unwrappedCalls(row.expression))];
          if (calls.length === 0) return [];
          return [
            {
              object: `${row.table} policy ${row.policy}`,
              detail: `Policy ${row.policy} on ${row.table} calls ${calls.join(", ")} for every row instead of once per statement.`,
              cacheKey: `auth_rls_init_plan_${row.nspname}_${row.relname}_${row.polname}`,
              metadata: { schema: row.nspname, name: row.relname, type: "table", policy: row.polname, calls },
            },
          ];
        });
      },
    },
  },
  {
    name: "multiple_permissive_policies",
    code: "0006",
    level: "WARN",
    categories: ["PERFORMANCE"],
    title: "Several permissive policies for one role and command",
    why: "PostgreSQL evaluates every permissive policy that applies to a role and command, and ORs them: two policies cost two checks per row.",
    fix: "Merge them into one policy per role and command (using (a or b)), or make the extra conditions RESTRICTIVE where they must all hold.",
    remediation: `${DOCS}0006_multiple_permissive_policies`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has %s permissive policies for role %s and %s: %s.', ${qualified("n", "c")},
                      count(*), r.rolname, act.command, string_agg(quote_ident(p.polname), ', ' order by p.polname)) as detail,
               format('multiple_permissive_policies_%s_%s_%s_%s', n.nspname, c.relname, r.rolname, act.command) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'role', r.rolname,
                                  'command', act.command, 'policies', array_agg(p.polname order by p.polname)) as metadata
        from pg_catalog.pg_policy p
        join pg_catalog.pg_class c on c.oid = p.polrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_roles r on r.rolname = any($2::text[])
          and (p.polroles = '{0}'::oid[] or r.oid = any(p.polroles))
        cross join lateral unnest(case when p.polcmd = '*' then array['SELECT', 'INSERT', 'UPDATE', 'DELETE']
                                       else array[${policyCommand("p")}] end) as act (command)
        where p.polpermissive and c.relrowsecurity and ${userSchema("n")} and ${policyForClients("p")}
        group by n.nspname, c.relname, r.rolname, act.command
        having count(*) > 1
        order by 1, r.rolname, act.command`,
    },
  },
];
