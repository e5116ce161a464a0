import { loadModule, parseSync } from "libpg-query";
import type { QualifiedName } from "./types.js";

/** A view column that is a plain base-table column: `view.column` is `table.column`. */
export interface ViewColumnSource {
  readonly viewColumn: string;
  readonly table: QualifiedName;
  readonly column: string;
}

let loaded: Promise<void> | null = null;

/** The SQL parser is WebAssembly, loaded once. */
export function loadViewParser(): Promise<void> {
  loaded ??= Promise.resolve(loadModule());
  return loaded;
}

type Node = Record<string, unknown>;

/**
 * Which of a view's columns are plain columns of a base table, read from the view's definition
 * with PostgreSQL's own parser. This is how keys and foreign keys are carried through views for
 * embedding (PostgREST reads the same from pg_rewrite). Only a top-level SELECT's FROM items are
 * traced; a column computed from an expression, or from a subquery, has no source.
 */
export function traceViewColumns(definition: string, defaultSchema: string): ViewColumnSource[] {
  let tree: Node;
  try {
    tree = parseSync(definition) as Node;
  } catch {
    return [];
  }
  const stmts = tree.stmts as Node[] | undefined;
  const select = (stmts?.[0]?.stmt as Node | undefined)?.SelectStmt as Node | undefined;
  if (!select || !Array.isArray(select.targetList) || !Array.isArray(select.fromClause)) return [];
  const ranges = new Map<string, QualifiedName>();
  for (const item of select.fromClause as Node[]) collectRanges(item, ranges, defaultSchema);
  const only = ranges.size === 1 ? [...ranges.values()][0] : undefined;
  const sources: ViewColumnSource[] = [];
  for (const target of select.targetList as Node[]) {
    const res = target.ResTarget as Node | undefined;
    const ref = (res?.val as Node | undefined)?.ColumnRef as Node | undefined;
    const fields = (ref?.fields as Node[] | undefined)?.map((f) => (f.String as Node | undefined)?.sval);
    if (!res || !fields || fields.some((f) => typeof f !== "string")) continue;
    const names = fields as string[];
    const column = names[names.length - 1] as string;
    const table = names.length === 2 ? ranges.get(names[0] as string) : names.length === 1 ? only : undefined;
    if (!table) continue;
    sources.push({ viewColumn: typeof res.name === "string" ? res.name : column, table, column });
  }
  return sources;
}

function collectRanges(item: Node, ranges: Map<string, QualifiedName>, defaultSchema: string): void {
  const range = item.RangeVar as Node | undefined;
  if (range) {
    const name = range.relname as string;
    const schema = typeof range.schemaname === "string" ? range.schemaname : defaultSchema;
    const alias = ((range.alias as Node | undefined)?.aliasname as string | undefined) ?? name;
    ranges.set(alias, { schema, name });
    return;
  }
  const join = item.JoinExpr as Node | undefined;
  if (join) {
    collectRanges(join.larg as Node, ranges, defaultSchema);
    collectRanges(join.rarg as Node, ranges, defaultSchema);
  }
}
