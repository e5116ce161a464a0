import type pg from "pg";
import { type CheckRule, parseCheck } from "./checks.js";
import type { Bound, ColumnRule, ForeignKey, TableShape } from "./types.js";

interface ColumnRow {
  table: string;
  name: string;
  column: string;
  type: string;
  base_type: string;
  category: string;
  element_type: string | null;
  not_null: boolean;
  generated: boolean;
  default_expression: string | null;
  typmod_length: number | null;
  precision: number | null;
  scale: number | null;
  labels: string[] | null;
}

/**
 * Reads the shape of every ordinary table of `schema` (not extension-owned) in four catalog
 * queries: columns with types, defaults and enum labels; CHECK constraints; unique constraints
 * and indexes; foreign keys. Table names are regclass text with an empty search_path.
 */
export async function introspectTables(client: pg.ClientBase, schema = "public"): Promise<TableShape[]> {
  const tables = `select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
      and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`;
  // Names print qualified with an empty search_path; the caller's path is put back afterwards.
  const { rows: saved } = await client.query<{ path: string }>(
    "select current_setting('search_path') as path, set_config('search_path', '', true)",
  );
  try {
    return await readShapes(client, schema, tables);
  } finally {
    await client.query("select set_config('search_path', $1, true)", [saved[0]?.path ?? ""]);
  }
}

async function readShapes(client: pg.ClientBase, schema: string, tables: string): Promise<TableShape[]> {
  const columns = await client.query<ColumnRow>(
    `select a.attrelid::regclass::text as table, c.relname as name, a.attname as column,
            format_type(a.atttypid, a.atttypmod) as type,
            bt.typname as base_type, bt.typcategory as category, et.typname as element_type,
            a.attnotnull as not_null, a.attidentity <> '' or a.attgenerated <> '' as generated,
            pg_get_expr(d.adbin, d.adrelid) as default_expression,
            case when bt.typname in ('varchar', 'bpchar') and coalesce(nullif(a.atttypmod, -1), t.typtypmod) > 4
                 then coalesce(nullif(a.atttypmod, -1), t.typtypmod) - 4 end as typmod_length,
            case when bt.typname = 'numeric' and coalesce(nullif(a.atttypmod, -1), t.typtypmod) > 4
                 then ((coalesce(nullif(a.atttypmod, -1), t.typtypmod) - 4) >> 16) & 65535 end as precision,
            case when bt.typname = 'numeric' and coalesce(nullif(a.atttypmod, -1), t.typtypmod) > 4
                 then (coalesce(nullif(a.atttypmod, -1), t.typtypmod) - 4) & 65535 end as scale,
            (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = bt.oid) as labels
     from pg_attribute a
     join pg_class c on c.oid = a.attrelid
     join pg_type t on t.oid = a.atttypid
     join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
     left join pg_type et on et.oid = bt.typelem and bt.typcategory = 'A'
     left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid in (${tables}) and a.attnum > 0 and not a.attisdropped
     order by 1, a.attnum`,
    [schema],
  );
  const constraints = await client.query<{
    table: string;
    type: "c" | "u" | "p" | "f";
    columns: string[];
    definition: string;
    ref_table: string | null;
    ref_columns: string[] | null;
  }>(
    `select c.conrelid::regclass::text as table, c.contype as type,
            array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as columns,
            pg_get_constraintdef(c.oid) as definition,
            c.confrelid::regclass::text as ref_table,
            array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i)
                  join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as ref_columns
     from pg_constraint c
     where c.conrelid in (${tables}) and c.contype in ('c', 'u', 'p', 'f')
     order by 1, c.conname`,
    [schema],
  );
  const uniqueIndexes = await client.query<{ table: string; columns: string[] }>(
    `select i.indrelid::regclass::text as table,
            array(select a.attname::text from unnest(i.indkey) k(n)
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n) as columns
     from pg_index i where i.indisunique and i.indrelid in (${tables})`,
    [schema],
  );
  return assemble(columns.rows, constraints.rows, uniqueIndexes.rows);
}

function assemble(
  columnRows: readonly ColumnRow[],
  constraintRows: readonly {
    table: string;
    type: string;
    columns: string[];
    definition: string;
    ref_table: string | null;
    ref_columns: string[] | null;
  }[],
  uniqueIndexRows: readonly { table: string; columns: string[] }[],
): TableShape[] {
  const byTable = new Map<string, ColumnRow[]>();
  for (const row of columnRows) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row]);
  return [...byTable.entries()].map(([table, rows]) => {
    const own = constraintRows.filter((c) => c.table === table);
    const checks = new Map<string, CheckRule[]>();
    const tableChecks: string[] = [];
    for (const check of own.filter((c) => c.type === "c")) {
      if (check.columns.length !== 1) {
        tableChecks.push(check.definition);
        continue;
      }
      for (const rule of parseCheck(check.definition)) {
        checks.set(rule.column, [...(checks.get(rule.column) ?? []), rule]);
      }
    }
    const uniqueSets = [
      ...own.filter((c) => c.type === "u" || c.type === "p").map((c) => c.columns),
      ...uniqueIndexRows.filter((i) => i.table === table && i.columns.length > 0).map((i) => i.columns),
    ];
    const unique = new Set(uniqueSets.flat());
    const notNull = new Set(rows.filter((r) => r.not_null).map((r) => r.column));
    const foreignKeys: ForeignKey[] = own
      .filter((c) => c.type === "f" && c.ref_table !== null)
      .map((c) => ({
        columns: c.columns,
        table: c.ref_table ?? "",
        referencedColumns: c.ref_columns ?? [],
        nullable: c.columns.every((column) => !notNull.has(column)),
      }));
    return {
      table,
      name: rows[0]?.name ?? table,
      columns: rows.map((row) => columnRule(row, checks.get(row.column) ?? [], unique.has(row.column))),
      primaryKey: own.find((c) => c.type === "p")?.columns ?? [],
      foreignKeys,
      uniqueSets,
      tableChecks,
    };
  });
}

function columnRule(row: ColumnRow, checks: readonly CheckRule[], unique: boolean): ColumnRule {
  const maxLengths = [row.typmod_length, ...checks.map((c) => c.maxLength)].filter(isNumber);
  const minLengths = checks.map((c) => c.minLength).filter(isNumber);
  const allowedLists = checks.map((c) => c.allowed).filter((a): a is readonly string[] => a !== undefined);
  return {
    name: row.column,
    type: row.type,
    baseType: row.base_type,
    category: row.category,
    elementType: row.element_type,
    notNull: row.not_null,
    generated: row.generated,
    defaultExpression: row.default_expression,
    maxLength: maxLengths.length > 0 ? Math.min(...maxLengths) : null,
    minLength: minLengths.length > 0 ? Math.max(...minLengths) : null,
    precision: row.precision,
    scale: row.scale,
    min: tightest(
      checks.map((c) => c.min),
      (a, b) => a.value > b.value,
    ),
    max: tightest(
      checks.map((c) => c.max),
      (a, b) => a.value < b.value,
    ),
    allowed: allowedLists.length > 0 ? intersect(allowedLists) : row.labels,
    patterns: checks.map((c) => c.pattern).filter((p): p is RegExp => p !== undefined),
    unique,
  };
}

function tightest(
  bounds: readonly (Bound | undefined)[],
  tighter: (a: Bound, b: Bound) => boolean,
): Bound | null {
  let result: Bound | null = null;
  for (const bound of bounds) {
    if (bound !== undefined && (result === null || tighter(bound, result))) result = bound;
  }
  return result;
}

function intersect(lists: readonly (readonly string[])[]): string[] {
  const [first = [], ...rest] = lists;
  return first.filter((value) => rest.every((list) => list.includes(value)));
}

function isNumber(value: number | null | undefined): value is number {
  return typeof value === "number";
}
