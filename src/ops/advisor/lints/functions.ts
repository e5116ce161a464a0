import { exposedSchema, notFromExtension, userSchema } from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

const DOCS = "https://supabase.com/docs/guides/database/database-linter?lint=";

/** `schema.name(args)` of the function `p` in namespace `n`. */
const SIGNATURE =
  "format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))";

/** A SECURITY DEFINER function `role` may call through /rest/v1/rpc (splinter 0028, 0029). */
function definerExecutableBy(role: "anon" | "authenticated", code: string): LintDefinition {
  const who = role === "anon" ? "anyone with the anon key, signed in or not" : "any signed-in user";
  return {
    name: `${role}_security_definer_function_executable`,
    code,
    level: "WARN",
    categories: ["SECURITY"],
    title: `SECURITY DEFINER function executable by ${role}`,
    why: `A SECURITY DEFINER function runs with its owner's rights, past row-level security; in an exposed schema, ${who} can call it through /rest/v1/rpc.`,
    fix: `Move it to a schema the API does not serve (e.g. private), make it SECURITY INVOKER, or revoke execute on function <fn> from ${role === "anon" ? "anon, public" : "authenticated, public"};`,
    remediation: `${DOCS}${code}_${role}_security_definer_function_executable`,
    check: {
      sql: `
        select ${SIGNATURE} as object,
               format('SECURITY DEFINER function %s is executable by ${role}: it can be called through /rest/v1/rpc/%s.',
                      ${SIGNATURE}, p.proname) as detail,
               format('${role}_security_definer_function_executable_%s_%s_%s', n.nspname, p.proname,
                      pg_catalog.pg_get_function_identity_arguments(p.oid)) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', p.proname, 'type', 'function',
                                  'arguments', pg_catalog.pg_get_function_identity_arguments(p.oid)) as metadata
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and ${exposedSchema("n")} and ${notFromExtension("p.oid", "pg_catalog.pg_proc")}
          and p.prorettype not in ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
          and '${role}' = any($2::text[])
          and pg_catalog.has_function_privilege('${role}', p.oid, 'EXECUTE')
        order by 1`,
    },
  };
}

/** How functions are written and who may call them (splinter 0011, 0028, 0029). */
export const functionLints: readonly LintDefinition[] = [
  {
    name: "function_search_path_mutable",
    code: "0011",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Function search_path is not pinned",
    why: "A function without its own search_path resolves names through the caller's: whoever can create an object earlier on that path (a table, an operator, a function) can change what the function does — for a SECURITY DEFINER function, with its owner's rights.",
    fix: "alter function <fn> set search_path = ''; and schema-qualify the names in its body (public.t, auth.uid()).",
    remediation: `${DOCS}0011_function_search_path_mutable`,
    check: {
      sql: `
        select ${SIGNATURE} as object,
               format('Function %s has no search_path of its own%s.', ${SIGNATURE},
                      case when p.prosecdef then ' and is SECURITY DEFINER' else '' end) as detail,
               format('function_search_path_mutable_%s_%s_%s', n.nspname, p.proname,
                      pg_catalog.pg_get_function_identity_arguments(p.oid)) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', p.proname, 'type', 'function',
                                  'security_definer', p.prosecdef) as metadata
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where p.prokind in ('f', 'p') and ${userSchema("n")} and ${notFromExtension("p.oid", "pg_catalog.pg_proc")}
          and not exists (select from unnest(coalesce(p.proconfig, '{}')) as setting
                          where setting like 'search\\_path=%')
        order by 1`,
    },
  },
  definerExecutableBy("anon", "0028"),
  definerExecutableBy("authenticated", "0029"),
];
