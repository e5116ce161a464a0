import type pg from "pg";

/** Raw catalog rows; {@link ./build.ts} turns them into the schema cache. */
export interface CatalogRows {
  readonly relations: RelationRow[];
  readonly keys: KeyRow[];
  readonly foreignKeys: ForeignKeyRow[];
  readonly routines: RoutineRow[];
  readonly typeNames: string[];
  readonly roleSettings: RoleSettingRow[];
  readonly timezones: string[];
  readonly views: ViewRow[];
  readonly computedRelationships: ComputedRelationshipRow[];
}

export interface ColumnRow {
  name: string;
  type: string;
  base_type: string;
  nullable: boolean;
  default: string | null;
  generated: boolean;
  enum_values: string[] | null;
}

export interface RelationRow {
  schema: string;
  name: string;
  kind: string;
  updatable_mask: number;
  columns: ColumnRow[];
}

export interface KeyRow {
  schema: string;
  table: string;
  kind: "p" | "u";
  columns: string[];
}

export interface ForeignKeyRow {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  ref_schema: string;
  ref_table: string;
  ref_columns: string[];
}

export interface RoutineRow {
  schema: string;
  name: string;
  volatility: string;
  setof: boolean;
  return_type: string;
  return_type_kind: string;
  return_relation_schema: string | null;
  return_relation_name: string | null;
  return_columns: ColumnRow[] | null;
  params: { name: string | null; type: string; base_type: string; mode: string; has_default: boolean }[];
}

/** A function from one relation's row type to another's (PostgREST's computed relationship). */
export interface ComputedRelationshipRow {
  schema: string;
  name: string;
  table_schema: string;
  table_name: string;
  target_schema: string;
  target_name: string;
  single_row: boolean;
}

export interface RoleSettingRow {
  role: string;
  settings: string[];
}

export interface ViewRow {
  schema: string;
  name: string;
  definition: string;
}

const RELATIONS = `
select n.nspname as schema, c.relname as name, c.relkind as kind,
  case when c.relkind in ('r', 'p') then 28 else pg_relation_is_updatable(c.oid::regclass, true) end as updatable_mask,
  coalesce((
    select json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'base_type', coalesce(bt.typname, t.typname),
      'nullable', not a.attnotnull,
      'default', case when a.attidentity = 'd' then format('nextval(%L::regclass)', pg_get_serial_sequence(c.oid::regclass::text, a.attname)) else pg_get_expr(d.adbin, d.adrelid) end,
      'generated', a.attidentity = 'a' or a.attgenerated <> '',
      'enum_values', (select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = coalesce(bt.oid, t.oid))
    ) order by a.attnum)
    from pg_attribute a
    join pg_type t on t.oid = a.atttypid
    left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  ), '[]') as columns
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition and n.nspname = any($1)`;

const KEYS = `
select n.nspname as schema, c.relname as table, con.contype as kind,
  array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
where con.contype in ('p', 'u') and n.nspname = any($1)`;

// Foreign keys with at least one side exposed (the other side may sit in another schema).
const FOREIGN_KEYS = `
select con.conname as name, n1.nspname as schema, c1.relname as table,
  array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns,
  n2.nspname as ref_schema, c2.relname as ref_table,
  array(select a.attname from unnest(con.confkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord)::text[] as ref_columns
from pg_constraint con
join pg_class c1 on c1.oid = con.conrelid
join pg_namespace n1 on n1.oid = c1.relnamespace
join pg_class c2 on c2.oid = con.confrelid
join pg_namespace n2 on n2.oid = c2.relnamespace
where con.contype = 'f' and con.conparentid = 0 and (n1.nspname = any($1) or n2.nspname = any($1))`;

const ROUTINES = `
select n.nspname as schema, p.proname as name, p.provolatile as volatility, p.proretset as setof,
  format_type(p.prorettype, null) as return_type,
  case when rt.typrelid <> 0 then 'c' when rt.typname = 'void' then 'v' when rt.typname = 'record' then 'r' else 's' end
    as return_type_kind,
  rn.nspname as return_relation_schema, rc.relname as return_relation_name,
  case when rt.typrelid <> 0 then (
    select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
      'base_type', t.typname, 'nullable', true, 'default', null, 'generated', false, 'enum_values', null)
      order by a.attnum)
    from pg_attribute a join pg_type t on t.oid = a.atttypid
    where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped
  ) end as return_columns,
  coalesce((
    select json_agg(json_build_object(
      'name', coalesce(p.proargnames[k.ord], ''),
      'type', format_type(k.type, null),
      'base_type', t.typname,
      'mode', coalesce(p.proargmodes[k.ord], 'i'),
      'has_default', k.ord > p.pronargs - p.pronargdefaults and coalesce(p.proargmodes[k.ord], 'i') in ('i', 'b', 'v')
    ) order by k.ord)
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality k(type, ord)
    join pg_type t on t.oid = k.type
  ), '[]') as params
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
left join pg_class rc on rc.oid = rt.typrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where p.prokind = 'f' and n.nspname = any($1)
  and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  and rt.typname not in ('trigger', 'event_trigger')`;

const TYPE_NAMES = `
select t.typname as name from pg_type t
join pg_namespace n on n.oid = t.typnamespace
where n.nspname = 'pg_catalog' or n.nspname = any($1)
union select format('%s.%s', n.nspname, t.typname) from pg_type t
join pg_namespace n on n.oid = t.typnamespace where n.nspname = any($1) or n.nspname = 'pg_catalog'`;

// Only settings a role may change for itself (context "user", or custom dotted names): the API
// applies them per transaction with set_config, as PostgREST does for the impersonated role.
const ROLE_SETTINGS = `
select r.rolname as role, array_agg(cfg order by s.setdatabase, k.ord) as settings
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
cross join lateral unnest(s.setconfig) with ordinality k(cfg, ord)
where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
  and (split_part(cfg, '=', 1) like '%.%'
       or exists (select from pg_settings ps where ps.name = split_part(cfg, '=', 1) and ps.context = 'user'))
group by r.rolname`;

const VIEWS = `
select n.nspname as schema, c.relname as name, pg_get_viewdef(c.oid) as definition
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and n.nspname = any($1)`;

// Functions taking one relation's row type and returning another's (or a set of them), as
// PostgREST finds them: a set of one row (ROWS 1) counts as a single row.
const COMPUTED_RELATIONSHIPS = `
select pn.nspname as schema, p.proname as name,
  an.nspname as table_schema, ac.relname as table_name,
  rn.nspname as target_schema, rc.relname as target_name,
  not p.proretset or p.prorows = 1 as single_row
from pg_proc p
join pg_namespace pn on pn.oid = p.pronamespace
join pg_class ac on ac.reltype = p.proargtypes[0] and ac.relkind in ('v', 'r', 'm', 'f', 'p')
join pg_namespace an on an.oid = ac.relnamespace
join pg_class rc on rc.reltype = p.prorettype and rc.relkind in ('v', 'r', 'm', 'f', 'p')
join pg_namespace rn on rn.oid = rc.relnamespace
where p.pronargs = 1 and an.nspname = any($1) and rn.nspname = any($1)`;

/**
 * Reads the catalogs for the exposed schemas in one repeatable-read transaction, so every part
 * describes the same moment (PostgREST does the same).
 */
export async function readCatalog(client: pg.ClientBase, schemas: readonly string[]): Promise<CatalogRows> {
  await client.query("begin isolation level repeatable read read only");
  // An empty search_path makes pg_get_viewdef qualify every table name.
  await client.query("set local search_path = ''");
  try {
    const param = [schemas];
    const relations = await client.query<RelationRow>(RELATIONS, param);
    const keys = await client.query<KeyRow>(KEYS, param);
    const foreignKeys = await client.query<ForeignKeyRow>(FOREIGN_KEYS, param);
    const routines = await client.query<RoutineRow>(ROUTINES, param);
    const types = await client.query<{ name: string }>(TYPE_NAMES, [[...schemas, "extensions"]]);
    const roleSettings = await client.query<RoleSettingRow>(ROLE_SETTINGS);
    const timezones = await client.query<{ name: string }>("select name from pg_timezone_names");
    const views = await client.query<ViewRow>(VIEWS, param);
    const computed = await client.query<ComputedRelationshipRow>(COMPUTED_RELATIONSHIPS, param);
    return {
      relations: relations.rows,
      keys: keys.rows,
      foreignKeys: foreignKeys.rows,
      routines: routines.rows,
      typeNames: types.rows.map((row) => row.name),
      roleSettings: roleSettings.rows,
      timezones: timezones.rows.map((row) => row.name),
      views: views.rows,
      computedRelationships: computed.rows,
    };
  } finally {
    await client.query("commit");
  }
}
