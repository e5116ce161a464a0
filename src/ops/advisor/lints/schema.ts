import { exposedSchema, notFromExtension, qualified, userSchema } from "../sql-fragments.js";
import type { LintDefinition } from "../types.js";

const DOCS = "https://supabase.com/docs/guides/database/database-linter?lint=";

/** Keys, indexes and types (splinter 0001, 0004, 0009, 0018, 0021). */
export const schemaLints: readonly LintDefinition[] = [
  {
    name: "unindexed_foreign_keys",
    code: "0001",
    level: "INFO",
    categories: ["PERFORMANCE"],
    title: "Foreign key without an index",
    why: "Joins and embeds along the key, and every delete or key update in the referenced table (which must find the referencing rows), scan the whole table without an index that starts with the key's columns.",
    fix: "create index on <table> (<key columns>);",
    remediation: `${DOCS}0001_unindexed_foreign_keys`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Foreign key %I on %s (%s) has no index starting with its columns.', k.conname,
                      ${qualified("n", "c")},
                      (select string_agg(quote_ident(a.attname), ', ' order by u.ord)
                       from unnest(k.conkey) with ordinality as u (attnum, ord)
                       join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum)) as detail,
               format('unindexed_foreign_keys_%s_%s_%s', n.nspname, c.relname, k.conname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'foreign_key', k.conname) as metadata
        from pg_catalog.pg_constraint k
        join pg_catalog.pg_class c on c.oid = k.conrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where k.contype = 'f' and ${userSchema("n")} and ${notFromExtension("c.oid")} and not c.relispartition
          and not exists (
            select from pg_catalog.pg_index i
            where i.indrelid = k.conrelid and i.indisvalid
              and (select array_agg(x.attnum order by x.attnum) from unnest(i.indkey) with ordinality as x (attnum, ord)
                   where x.ord <= cardinality(k.conkey))
                = (select array_agg(y order by y) from unnest(k.conkey) as y))
        order by 1, k.conname`,
    },
  },
  {
    name: "no_primary_key",
    code: "0004",
    level: "INFO",
    categories: ["PERFORMANCE"],
    title: "Table without a primary key",
    why: "Without a primary key, rows cannot be addressed one by one: updates and deletes through the API, logical replication and the audit log all need one.",
    fix: "alter table <table> add primary key (<column>); or add an identity column: add column id bigint generated always as identity primary key.",
    remediation: `${DOCS}0004_no_primary_key`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has no primary key.', ${qualified("n", "c")}) as detail,
               format('no_primary_key_%s_%s', n.nspname, c.relname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table') as metadata
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition and ${userSchema("n")} and ${notFromExtension("c.oid")}
          and not exists (select from pg_catalog.pg_index i where i.indrelid = c.oid and i.indisprimary)
        order by 1`,
    },
  },
  {
    name: "duplicate_index",
    code: "0009",
    level: "WARN",
    categories: ["PERFORMANCE"],
    title: "Identical indexes",
    why: "Identical indexes each cost space and time on every write and give nothing back.",
    fix: "drop index <one of them>; keep the one that backs a constraint, if any.",
    remediation: `${DOCS}0009_duplicate_index`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Table %s has identical indexes %s.', ${qualified("n", "c")},
                      string_agg(quote_ident(ic.relname), ', ' order by ic.relname)) as detail,
               format('duplicate_index_%s_%s_%s', n.nspname, c.relname, string_agg(ic.relname, '_' order by ic.relname)) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table',
                                  'indexes', array_agg(ic.relname order by ic.relname)) as metadata
        from pg_catalog.pg_index i
        join pg_catalog.pg_class ic on ic.oid = i.indexrelid
        join pg_catalog.pg_class c on c.oid = i.indrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm', 'p') and ${userSchema("n")} and ${notFromExtension("c.oid")}
        group by n.nspname, c.relname,
                 replace(pg_catalog.pg_get_indexdef(i.indexrelid), 'INDEX ' || quote_ident(ic.relname) || ' ON ', 'INDEX ON ')
        having count(*) > 1
        order by 1`,
    },
  },
  {
    name: "unsupported_reg_types",
    code: "0018",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Column of a reg* type that blocks upgrades",
    why: "pg_upgrade refuses databases with columns of regcollation, regconfig, regdictionary, regnamespace, regoper, regoperator, regproc or regprocedure: the stored OIDs would not survive the upgrade.",
    fix: "Store the name as text instead (alter column ... type text using <col>::text).",
    remediation: `${DOCS}0018_unsupported_reg_types`,
    check: {
      sql: `
        select format('%I.%I.%I', n.nspname, c.relname, a.attname) as object,
               format('Column %I of %s has type %s, which pg_upgrade does not support.', a.attname,
                      ${qualified("n", "c")}, t.typname) as detail,
               format('unsupported_reg_types_%s_%s_%s', n.nspname, c.relname, a.attname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'column', a.attname) as metadata
        from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on c.oid = a.attrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_type t on t.oid = a.atttypid
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'm') and ${userSchema("n")}
          and t.typname in ('regcollation', 'regconfig', 'regdictionary', 'regnamespace', 'regoper',
                            'regoperator', 'regproc', 'regprocedure')
        order by 1`,
    },
  },
  {
    name: "fkey_to_auth_unique",
    code: "0021",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "Foreign key to a unique constraint in auth",
    why: "The auth schema belongs to the auth service; a foreign key to one of its unique constraints (not the primary key) blocks the changes its upgrades make to them.",
    fix: "Reference auth.users (id) instead, or drop the foreign key.",
    remediation: `${DOCS}0021_fkey_to_auth_unique`,
    check: {
      sql: `
        select ${qualified("n", "c")} as object,
               format('Foreign key %I on %s references a unique constraint of %s that is not its primary key.',
                      k.conname, ${qualified("n", "c")}, k.confrelid::regclass) as detail,
               format('fkey_to_auth_unique_%s_%s_%s', n.nspname, c.relname, k.conname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', c.relname, 'type', 'table', 'foreign_key', k.conname) as metadata
        from pg_catalog.pg_constraint k
        join pg_catalog.pg_class c on c.oid = k.conrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_class rc on rc.oid = k.confrelid
        join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
        join pg_catalog.pg_index i on i.indexrelid = k.conindid
        where k.contype = 'f' and rn.nspname = 'auth' and i.indisunique and not i.indisprimary
        order by 1, k.conname`,
    },
  },
];

/** Extensions (splinter 0014, 0022). */
export const extensionLints: readonly LintDefinition[] = [
  {
    name: "extension_in_public",
    code: "0014",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Extension installed in an exposed schema",
    why: "An extension in public (or another schema the API serves) puts its functions and tables in front of the API, and its objects in everyone's search_path.",
    fix: "Install it in the extensions schema: alter extension <name> set schema extensions; (or drop and create it with schema extensions).",
    remediation: `${DOCS}0014_extension_in_public`,
    check: {
      sql: `
        select e.extname as object,
               format('Extension %I is installed in schema %I.', e.extname, n.nspname) as detail,
               format('extension_in_public_%s', e.extname) as cache_key,
               jsonb_build_object('schema', n.nspname, 'name', e.extname, 'type', 'extension') as metadata
        from pg_catalog.pg_extension e
        join pg_catalog.pg_namespace n on n.oid = e.extnamespace
        where n.nspname = 'public' or ${exposedSchema("n")}
        order by 1`,
    },
  },
  {
    name: "extension_versions_outdated",
    code: "0022",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Extension not at its default version",
    why: "An extension older than the version the server ships misses its fixes, security fixes included.",
    fix: "alter extension <name> update;",
    remediation: `${DOCS}0022_extension_versions_outdated`,
    check: {
      sql: `
        select a.name as object,
               format('Extension %I is at version %s; the server ships %s.', a.name, a.installed_version,
                      a.default_version) as detail,
               format('extension_versions_outdated_%s_%s', a.name, a.installed_version) as cache_key,
               jsonb_build_object('name', a.name, 'type', 'extension', 'installed_version', a.installed_version,
                                  'default_version', a.default_version) as metadata
        from pg_catalog.pg_available_extensions a
        where a.installed_version is not null and a.installed_version <> a.default_version
        order by 1`,
    },
  },
];
