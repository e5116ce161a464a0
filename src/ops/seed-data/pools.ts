import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import type { TableScope } from "./scope.js";
import type { TableShape } from "./types.js";

/** A parent row as the text of the columns foreign keys point at. */
export type PoolRow = Readonly<Record<string, string | null>>;

/** The rows of one parent table a foreign key may pick, the test tenant's, and each owner's. */
export interface Pool {
  readonly rows: readonly PoolRow[];
  readonly byOwner: ReadonlyMap<string, readonly PoolRow[]>;
}

/** Most parent rows read per table: plenty to pick from, bounded on a large shared database. */
const POOL_LIMIT = 5000;

/**
 * Parent rows by table, read when first needed and again after a table is filled. For a table of
 * the tenant, only the test tenant's rows; for others (lookup tables, other schemas), any rows.
 */
export class Pools {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly client: pg.ClientBase,
    private readonly shapes: readonly TableShape[],
    private readonly scopes: ReadonlyMap<string, TableScope>,
    private readonly tenantId: string,
  ) {}

  /** The pool of `table`, read now if it was not yet. */
  async get(table: string): Promise<Pool> {
    const cached = this.pools.get(table);
    if (cached) return cached;
    return this.reload(table);
  }

  /** Reads `table`'s pool again (after rows were added to it). */
  async reload(table: string): Promise<Pool> {
    // The columns foreign keys point at, and the table's own foreign-key columns (so a child row
    // can take its other parents from the parent it picked: an activity's organization is its
    // opportunity's).
    const own =
      this.shapes.find((shape) => shape.table === table)?.foreignKeys.flatMap((fk) => fk.columns) ?? [];
    const columns = [
      ...new Set([
        ...this.shapes.flatMap((shape) =>
          shape.foreignKeys.filter((fk) => fk.table === table).flatMap((fk) => fk.referencedColumns),
        ),
        ...own,
      ]),
    ];
    const scope = this.scopes.get(table);
    const select = columns.map((c) => `${quoteIdent(c)}::text as ${quoteIdent(c)}`);
    if (scope?.owner) select.push(`${quoteIdent(scope.owner.column)}::text as "__owner"`);
    const where = scope?.tenantColumn ? `where ${quoteIdent(scope.tenantColumn)} = $1` : "";
    const order = scope?.shape.primaryKey.length ? scope.shape.primaryKey.map(quoteIdent).join(", ") : "ctid";
    const { rows } = await this.client.query<Record<string, string | null>>(
      `select ${select.join(", ") || "1"} from ${table} ${where} order by ${order} limit ${POOL_LIMIT}`,
      where ? [this.tenantId] : [],
    );
    const byOwner = new Map<string, PoolRow[]>();
    for (const row of rows) {
      const owner = row.__owner;
      if (owner === null || owner === undefined) continue;
      const list = byOwner.get(owner);
      if (list) list.push(row);
      else byOwner.set(owner, [row]);
    }
    const pool = { rows, byOwner };
    this.pools.set(table, pool);
    return pool;
  }
}
