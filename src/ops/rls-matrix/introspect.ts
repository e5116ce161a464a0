import type pg from "pg";

/** What the runner needs to know about a column to give it a value. */
export interface ColumnInfo {
  readonly name: string;
  /** The type as `format_type` writes it with an empty search_path (usable as a cast). */
  readonly type: string;
  /** pg_type.typcategory of the base type (domains resolved): S, N, B, D, U, A, E, I, T... */
  readonly category: string;
  readonly baseType: string;
  readonly notNull: boolean;
  /** Has a default, is an identity or a generated column: the runner leaves it alone. */
  readonly defaulted: boolean;
  readonly generated: boolean;
  /** For varchar(n)/char(n): n. */
  readonly maxLength: number | null;
  readonly firstEnumLabel: string | null;
  /** The first value of a `col in (...)` check constraint on this column alone. */
  readonly firstAllowedValue: string | null;
}

/** A foreign key, column by column. */
export interface ForeignKey {
  readonly columns: readonly string[];
  readonly table: string;
  readonly referencedColumns: readonly string[];
}

export interface TableInfo {
  readonly table: string;
  readonly columns: readonly ColumnInfo[];
  readonly foreignKeys: readonly ForeignKey[];
}

/** Reads columns, foreign keys and simple check constraints. Expects an empty search_path. */
export async function introspectTable(client: pg.ClientBase, table: string): Promise<TableInfo> {
  const columns = await client.query<{
    name: string;
    type: string;
    category: string;
    base_type: string;
    not_null: boolean;
    defaulted: boolean;
    generated: boolean;
    max_length: number | null;
    first_label: string | null;
  }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
            bt.typcategory as category, format_type(bt.oid, null) as base_type,
            a.attnotnull as not_null,
            a.atthasdef or a.attidentity <> '' or a.attgenerated <> '' as defaulted,
            a.attidentity <> '' or a.attgenerated <> '' as generated,
            case when bt.oid in ('varchar'::regtype, 'bpchar'::regtype) and a.atttypmod > 4 then a.atttypmod - 4 end as max_length,
            (select e.enumlabel from pg_enum e where e.enumtypid = bt.oid order by e.enumsortorder limit 1) as first_label
     from pg_attribute a
     join pg_type t on t.oid = a.atttypid
     join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
     where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
     order by a.attnum`,
    [table],
  );
  const keys = await client.query<{ columns: string[]; table: string; referenced: string[] }>(
    `select array(select a.attname from unnest(c.conkey) with ordinality k(n, i)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i)::text[] as columns,
            c.confrelid::regclass::text as table,
            array(select a.attname from unnest(c.confkey) with ordinality k(n, i)
                  join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i)::text[] as referenced
     from pg_constraint c where c.contype = 'f' and c.conrelid = $1::regclass order by c.conname`,
    [table],
  );
  const checks = await client.query<{ definition: string }>(
    `select pg_get_constraintdef(c.oid) as definition from pg_constraint c
     where c.contype = 'c' and c.conrelid = $1::regclass and array_length(c.conkey, 1) = 1`,
    [table],
  );
  const allowed = firstAllowedValues(checks.rows.map((row) => row.definition));
  return {
    table,
    columns: columns.rows.map((row) => ({
      name: row.name,
      type: row.type,
      category: row.category,
      baseType: row.base_type,
      notNull: row.not_null,
      defaulted: row.defaulted,
      generated: row.generated,
      maxLength: row.max_length,
      firstEnumLabel: row.first_label,
      firstAllowedValue: allowed.get(row.name) ?? null,
    })),
    foreignKeys: keys.rows.map((row) => ({
      columns: row.columns,
      table: row.table,
      referencedColumns: row.referenced,
    })),
  };
}

/**
 * The first value of each `col IN (...)` check, as Postgres prints it:
 * `CHECK ((status = ANY (ARRAY['cold'::text, 'warm'::text])))` or `CHECK ((kind = 'x'::text))`.
 */
export function firstAllowedValues(definitions: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const definition of definitions) {
    const match =
      /^CHECK \(+"?([^"\s()]+)"?\)?(?:::[a-z_ ]*[a-z_])? = (?:ANY \(\(?ARRAY\[)?'((?:[^']|'')*)'/.exec(
        definition,
      );
    if (match?.[1] && match[2] !== undefined) result.set(match[1], match[2].replaceAll("''", "'"));
  }
  return result;
}
