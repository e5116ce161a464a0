import { withContext } from "../../../db/context.js";
import type { ExecuteOptions } from "../execute.js";

/** What the caller may see of one schema, with the comments that describe it. */
export interface Accessible {
  /** The schema's comment (its first line titles the document). */
  readonly description: string | null;
  readonly tables: readonly {
    readonly name: string;
    readonly description: string | null;
    readonly columns: Readonly<Record<string, string>> | null;
  }[];
  readonly functions: readonly {
    readonly name: string;
    readonly args: readonly string[];
    readonly description: string | null;
  }[];
}

// PostgREST's "follow-privileges" lists: relations the role owns or holds any privilege on,
// functions it may execute; run as the caller so the privileges are the caller's.
const ACCESSIBLE = `
select json_build_object(
  'description', obj_description((select n.oid from pg_namespace n where n.nspname = $1), 'pg_namespace'),
  'tables', coalesce((
    select json_agg(json_build_object(
      'name', c.relname,
      'description', obj_description(c.oid, 'pg_class'),
      'columns', (select json_object_agg(a.attname, d.description)
                  from pg_attribute a
                  join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = a.attnum
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)
    ) order by c.relname)
    from pg_class c
    where c.relnamespace = (select n.oid from pg_namespace n where n.nspname = $1) and c.relkind in ('v', 'r', 'm', 'f', 'p') and not c.relispartition
      and (pg_has_role(c.relowner, 'USAGE')
        or has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
        or has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))), '[]'),
  'functions', coalesce((
    select json_agg(json_build_object(
      'name', p.proname,
      'args', array(select format_type(t, null) from unnest(p.proargtypes) t),
      'description', obj_description(p.oid, 'pg_proc')
    ) order by p.proname)
    from pg_proc p
    where p.pronamespace = (select n.oid from pg_namespace n where n.nspname = $1) and p.prokind = 'f' and has_function_privilege(p.oid, 'execute')), '[]')
)::text`;

/** Reads what the caller may see of `schema`, as the caller. */
export async function readAccessible(options: ExecuteOptions): Promise<Accessible> {
  return withContext(
    options.pool,
    options.context,
    async (client) => {
      const { rows } = await client.query<{ json: string }>(`${ACCESSIBLE} as json`, [options.schema]);
      return JSON.parse(rows[0]?.json ?? "{}") as Accessible;
    },
    { readOnly: true, searchPath: [options.schema] },
  );
}
