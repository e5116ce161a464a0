import type pg from "pg";
import type { Pgoutput } from "pg-logical-replication";
import type { ColumnType } from "./values.js";

/** A published table as the dispatcher needs it. */
export interface TableInfo {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
  /** Primary-key columns with their SQL types, which the visibility check selects the row by. */
  readonly keyColumns: readonly { readonly name: string; readonly sqlType: string }[];
  readonly rowSecurity: boolean;
}

/** What a role may do with a table: which columns it may read, whether RLS applies to it. */
export interface RoleAccess {
  readonly readable: ReadonlySet<string>;
  readonly bypassesRls: boolean;
}

/**
 * Privileges and RLS switches change without a relation message in the stream, so what is read
 * here is trusted for a few seconds only: a GRANT or REVOKE takes effect within that time.
 */
const TTL_MS = 5_000;

/** Catalog lookups for the dispatcher, through the platform pool, cached briefly. */
export class ChangeCatalog {
  readonly #types = new Map<number, ColumnType>();
  readonly #tables = new Map<number, { info: TableInfo; relation: Pgoutput.MessageRelation; at: number }>();
  readonly #access = new Map<string, { access: RoleAccess; at: number }>();

  constructor(private readonly admin: pg.Pool) {}

  async table(relation: Pgoutput.MessageRelation): Promise<TableInfo> {
    const cached = this.#tables.get(relation.relationOid);
    if (cached && cached.relation === relation && Date.now() - cached.at < TTL_MS) return cached.info;
    await this.#loadTypes(relation.columns.map((column) => column.typeOid));
    const { rows } = await this.admin.query<{
      rls: boolean;
      keys: { name: string; sqlType: string }[] | null;
    }>(
      `select c.relrowsecurity as rls,
              (select json_agg(json_build_object('name', a.attname, 'sqlType', format_type(a.atttypid, null))
                               order by a.attnum) from pg_index i
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = c.oid and i.indisprimary) as keys
         from pg_class c where c.oid = $1`,
      [relation.relationOid],
    );
    const info: TableInfo = {
      oid: relation.relationOid,
      schema: relation.schema,
      name: relation.name,
      columns: relation.columns.map((column) => ({
        name: column.name,
        type: this.#types.get(column.typeOid) ?? { name: "text", element: null },
      })),
      keyColumns: rows[0]?.keys ?? [],
      rowSecurity: rows[0]?.rls ?? false,
    };
    this.#tables.set(relation.relationOid, { info, relation, at: Date.now() });
    return info;
  }

  async access(role: string, table: TableInfo): Promise<RoleAccess> {
    const key = `${role}\u0000${table.oid}`;
    const cached = this.#access.get(key);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.access;
    const { rows } = await this.admin.query<{ columns: string[] | null; bypass: boolean | null }>(
      `select (select array_agg(a.attname::text) from pg_attribute a
                where a.attrelid = $2 and a.attnum > 0 and not a.attisdropped
                  and has_column_privilege(r.oid, $2::oid, a.attnum, 'SELECT')) as columns,
              (r.rolbypassrls or r.rolsuper) as bypass
         from pg_roles r where r.rolname = $1`,
      [role, table.oid],
    );
    const access: RoleAccess = {
      readable: new Set(rows[0]?.columns ?? []),
      bypassesRls: rows[0]?.bypass ?? false,
    };
    this.#access.set(key, { access, at: Date.now() });
    if (this.#access.size > 10_000) this.#access.clear();
    return access;
  }

  async #loadTypes(oids: readonly number[]): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => !this.#types.has(oid));
    if (missing.length === 0) return;
    const { rows } = await this.admin.query<{ oid: number; name: string; element: string | null }>(
      `select t.oid::int as oid, t.typname::text as name,
              case when t.typcategory = 'A' then e.typname::text end as element
         from pg_type t left join pg_type e on e.oid = t.typelem
        where t.oid = any($1::oid[])`,
      [missing],
    );
    for (const row of rows) this.#types.set(row.oid, { name: row.name, element: row.element });
  }
}
