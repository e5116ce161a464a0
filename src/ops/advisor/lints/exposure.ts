import { clientRolesWith, exposedSchema, notFromExtension, qualified } from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

const DOCS = "https://supabase.com/docs/guides/database/database-linter?lint=";

/** Splinter's list of column names that hold secrets or personal data (0023). */
// biome-ignore format: a word list reads best packed
const SENSITIVE_COLUMNS = [
  "password", "passwd", "pwd", "passphrase", "secret", "secret_key", "private_key", "api_key", "apikey",
  "auth_key", "token", "jwt", "access_token", "refresh_token", "oauth_token", "session_token", "bearer_token",
  "auth_code", "session_id", "session_key", "session_secret", "recovery_code", "backup_code",
  "verification_code", "otp", "two_factor", "2fa_secret", "2fa_code", "ssn", "social_security",
  "social_security_number", "driver_license", "drivers_license", "license_number", "passport_number",
  "passport_id", "national_id", "tax_id", "credit_card", "card_number", "cvv", "cvc", "cvn", "bank_account",
  "account_number", "routing_number", "iban", "swift_code", "bic", "health_record", "medical_record",
  "patient_id", "insurance_number", "health_insurance", "medical_insurance", "treatment", "mac_address",
  "macaddr", "imei", "device_uuid", "pgp_key", "gpg_key", "ssh_key", "certificate", "license_key",
  "activation_key", "facial_recognition",
];

const SENSITIVE_ARRAY = `array[${SENSITIVE_COLUMNS.map((name) => `'${name}'`).join(", ")}]`;

/** A relation `c` of one of `kinds` (a SQL list) in an exposed schema that a client role can read. */
function readableRelation(kinds: string): string {
  return `c.relkind in (${kinds}) and ${exposedSchema("n")} and ${notFromExtension("c.oid")}
    and cardinality(${clientRolesWith("SELECT", "c.oid")}) > 0`;
}

/** Views without security_invoker run with their owner's rights, past the caller's RLS. */
const DEFINER_VIEW = `not (lower(coalesce(c.reloptions::text, '{}'))::text[]
  && array['security_invoker=1', 'security_invoker=true', 'security_invoker=yes', 'security_invoker=on'])`;

/** Relations the API serves past row-level security (splinter 0002, 0010, 0016, 0017, 0023). */
export const exposureLints: readonly LintDefinition[] = [
  {
    name: "auth_users_exposed",
    code: "0002",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "auth.users exposed through a view",
    why: "A view or materialized view over auth.users in an exposed schema hands every user's email, phone and metadata to anyone the view is granted to: views run with their owner's rights unless they are security_invoker, and materialized views have no RLS at all.",
    fix: "Drop the view, or move it to a schema the API does not serve; expose only the columns you need through a security_invoker view of a profiles table.",
    remediation: `${DOCS}0002_auth_users_exposed`,
    check: {
      sql: `
        select distinct ${qualified("n", "c")} as object,
               format('%s %s reads auth.users and is readable by %s.',
                      case c.relkind when 'm' then 'Materialized view' else 'View' end, ${qualified("n", "c")},
                      array_to_string(${clientRolesWith("SELECT", "c.oid")}, ' and ')) as detail,
               format('auth_users_exposed_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'view') as metadata
        from pg_catalog.pg_depend d
        join pg_catalog.pg_rewrite rw on rw.oid = d.objid and d.classid = 'pg_catalog.pg_rewrite'::regclass
        join pg_catalog.pg_class c on c.oid = rw.ev_class
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where d.refobjid = to_regclass('auth.users') and c.oid <> d.refobjid
          and c.relkind in ('v', 'm') and ${exposedSchema("n")}
          and cardinality(${clientRolesWith("SELECT", "c.oid")}) > 0
          and (c.relkind = 'm' or ${DEFINER_VIEW}
               or cardinality(${clientRolesWith("SELECT", "d.refobjid")}) > 0)
        order by 1`,
    },
  },
  {
    name: "security_definer_view",
    code: "0010",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "View runs with its owner's rights",
    why: "A view without security_invoker reads its tables as the view's owner, so the row-level security of those tables does not apply to the caller: the view shows every row.",
    fix: "alter view <view> set (security_invoker = on); (PostgreSQL 15 and later), or revoke it from anon and authenticated.",
    remediation: `${DOCS}0010_security_definer_view`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('View %s is readable by %s and runs with its owner''s rights, past the row-level security of the tables it reads.',
                      ${qualified("n", "c")}, array_to_string(${clientRolesWith("SELECT", "c.oid")}, ' and ')) as detail,
               format('security_definer_view_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'view') as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where ${readableRelation("'v'")} and ${DEFINER_VIEW}
          and current_setting('server_version_num')::int >= 150000
        order by 1`,
    },
  },
  {
    name: "materialized_view_in_api",
    code: "0016",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Materialized view served by the API",
    why: "Materialized views have no row-level security: every row in it is readable by the roles it is granted to.",
    fix: "Revoke select on it from anon and authenticated, or move it to a schema the API does not serve.",
    remediation: `${DOCS}0016_materialized_view_in_api`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Materialized view %s is readable by %s through the data API; materialized views have no RLS.',
                      ${qualified("n", "c")}, array_to_string(${clientRolesWith("SELECT", "c.oid")}, ' and ')) as detail,
               format('materialized_view_in_api_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'materialized view') as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where ${readableRelation("'m'")}
        order by 1`,
    },
  },
  {
    name: "foreign_table_in_api",
    code: "0017",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Foreign table served by the API",
    why: "Foreign tables have no row-level security: every row is readable by the roles it is granted to.",
    fix: "Revoke select on it from anon and authenticated, or move it to a schema the API does not serve.",
    remediation: `${DOCS}0017_foreign_table_in_api`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Foreign table %s is readable by %s through the data API; foreign tables have no RLS.',
                      ${qualified("n", "c")}, array_to_string(${clientRolesWith("SELECT", "c.oid")}, ' and ')) as detail,
               format('foreign_table_in_api_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'foreign table') as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where ${readableRelation("'f'")}
        order by 1`,
    },
  },
  {
    name: "sensitive_columns_exposed",
    code: "0023",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "Sensitive columns readable without RLS",
    why: "The table is served by the API without row-level security and has columns named like secrets or personal data (password, token, ssn, iban...): anyone with the anon key can read them.",
    fix: "Enable row-level security with policies, move the secrets to a table the API does not serve, or revoke select on those columns.",
    remediation: `${DOCS}0023_sensitive_columns_exposed`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has no row-level security and is readable by %s, and has sensitive column(s): %s.',
                      ${qualified("n", "c")}, array_to_string(${clientRolesWith("SELECT", "c.oid")}, ' and '),
                      string_agg(quote_ident(a.attname), ', ' order by a.attname)) as detail,
               format('sensitive_columns_exposed_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table',
                                  'columns', array_agg(a.attname order by a.attname)) as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where ${readableRelation("'r', 'p'")} and not c.relrowsecurity
          and replace(lower(a.attname), '-', '_') = any(${SENSITIVE_ARRAY})
        group by n.nspname, c.relname, c.oid
        order by 1`,
    },
  },
];
