import type { CatalogRows, ColumnRow, ForeignKeyRow, RoutineRow } from "./introspect.js";
import { addComputedRelationships, buildRelationships, type ForeignKey } from "./relationships.js";
import {
  type Column,
  type InDatabaseConfig,
  type QualifiedName,
  qualifiedKey,
  type Relation,
  type ReturnShape,
  type Routine,
  type SchemaCache,
} from "./types.js";
import { traceViewColumns } from "./view-columns.js";

/** The pieces of {@link SchemaCache} made from the catalog rows. */
export function buildSchemaCache(rows: CatalogRows, generation: number): SchemaCache {
  const keysByTable = new Map<string, { primary: string[]; uniques: string[][] }>();
  for (const key of rows.keys) {
    const id = qualifiedKey(key.schema, key.table);
    const entry = keysByTable.get(id) ?? { primary: [], uniques: [] };
    if (key.kind === "p") entry.primary = key.columns;
    else entry.uniques.push(key.columns);
    keysByTable.set(id, entry);
  }

  const relations = new Map<string, Relation>();
  for (const row of rows.relations) {
    const columnList = row.columns.map(toColumn);
    const id = qualifiedKey(row.schema, row.name);
    relations.set(id, {
      schema: row.schema,
      name: row.name,
      kind: row.kind,
      columns: new Map(columnList.map((c) => [c.name, c])),
      columnList,
      primaryKey: keysByTable.get(id)?.primary ?? [],
      insertable: (row.updatable_mask & 8) === 8,
      updatable: (row.updatable_mask & 4) === 4,
      deletable: (row.updatable_mask & 16) === 16,
    });
  }

  const foreignKeys: ForeignKey[] = rows.foreignKeys.map(toForeignKey);
  const uniqueKeys = new Map<string, string[][]>();
  for (const [id, entry] of keysByTable) {
    uniqueKeys.set(id, entry.primary.length > 0 ? [entry.primary, ...entry.uniques] : entry.uniques);
  }
  addViews(rows, relations, foreignKeys, uniqueKeys);

  const relationships = buildRelationships(foreignKeys, relations, uniqueKeys);
  addComputedRelationships(relationships, rows.computedRelationships);
  const routines = new Map<string, Routine[]>();
  for (const row of rows.routines) {
    const routine = toRoutine(row, relations);
    if (!callable(routine)) continue;
    const id = qualifiedKey(row.schema, row.name);
    routines.set(id, [...(routines.get(id) ?? []), routine]);
  }
  for (const overloads of routines.values()) overloads.sort(routineOrder);
  const roleSettings = new Map<string, Record<string, string>>();
  for (const row of rows.roleSettings) {
    const settings: Record<string, string> = {};
    for (const entry of row.settings) {
      const index = entry.indexOf("=");
      if (index > 0) settings[entry.slice(0, index)] = entry.slice(index + 1);
    }
    roleSettings.set(row.role, settings);
  }
  return {
    relations,
    relationships,
    routines,
    typeNames: new Set(rows.typeNames.map((name) => name.toLowerCase())),
    roleSettings,
    timezones: new Set(rows.timezones),
    dbConfig: readDbConfig(roleSettings.get("authenticator") ?? {}),
    generation,
  };
}

function toColumn(row: ColumnRow): Column {
  return {
    name: row.name,
    type: row.type,
    baseType: row.base_type,
    nullable: row.nullable,
    default: row.default,
    generated: row.generated,
    enumValues: row.enum_values ?? [],
  };
}

function toForeignKey(row: ForeignKeyRow): ForeignKey {
  return {
    name: row.name,
    table: { schema: row.schema, name: row.table },
    columns: row.columns,
    refTable: { schema: row.ref_schema, name: row.ref_table },
    refColumns: row.ref_columns,
  };
}

/**
 * Carries keys and foreign keys through views whose columns are plain base-table columns, so a
 * view embeds and is embedded like its table.
 */
function addViews(
  rows: CatalogRows,
  relations: Map<string, Relation>,
  foreignKeys: ForeignKey[],
  uniqueKeys: Map<string, string[][]>,
): void {
  // base table key -> views over it, each with base column -> view column
  const viewsOf = new Map<string, { view: QualifiedName; columns: Map<string, string> }[]>();
  for (const view of rows.views) {
    const byTable = new Map<string, Map<string, string>>();
    for (const source of traceViewColumns(view.definition, view.schema)) {
      const id = qualifiedKey(source.table.schema, source.table.name);
      const map = byTable.get(id) ?? new Map<string, string>();
      if (!map.has(source.column)) map.set(source.column, source.viewColumn);
      byTable.set(id, map);
    }
    for (const [id, columns] of byTable) {
      viewsOf.set(id, [
        ...(viewsOf.get(id) ?? []),
        { view: { schema: view.schema, name: view.name }, columns },
      ]);
    }
  }
  for (const [tableId, views] of viewsOf) {
    for (const { view, columns } of views) {
      const viewId = qualifiedKey(view.schema, view.name);
      const relation = relations.get(viewId);
      const keys = (uniqueKeys.get(tableId) ?? [])
        .filter((key) => key.every((c) => columns.has(c)))
        .map((key) => key.map((c) => columns.get(c) as string));
      uniqueKeys.set(viewId, keys);
      const table = relations.get(tableId);
      if (relation && table && table.primaryKey.length > 0 && table.primaryKey.every((c) => columns.has(c))) {
        relations.set(viewId, {
          ...relation,
          primaryKey: table.primaryKey.map((c) => columns.get(c) as string),
        });
      }
    }
  }
  const expand = (table: QualifiedName, cols: readonly string[]) => {
    const out = [{ table, columns: [...cols] }];
    for (const { view, columns } of viewsOf.get(qualifiedKey(table.schema, table.name)) ?? []) {
      if (cols.every((c) => columns.has(c)))
        out.push({ table: view, columns: cols.map((c) => columns.get(c) as string) });
    }
    return out;
  };
  for (const fk of [...foreignKeys]) {
    const sources = expand(fk.table, fk.columns);
    const targets = expand(fk.refTable, fk.refColumns);
    for (const [i, source] of sources.entries()) {
      for (const [j, target] of targets.entries()) {
        if (i === 0 && j === 0) continue;
        foreignKeys.push({
          name: fk.name,
          table: source.table,
          columns: source.columns,
          refTable: target.table,
          refColumns: target.columns,
        });
      }
    }
  }
}

function toRoutine(row: RoutineRow, relations: Map<string, Relation>): Routine {
  const inputs = row.params.filter((p) => p.mode === "i" || p.mode === "b" || p.mode === "v");
  const outputs = row.params.filter((p) => p.mode === "o" || p.mode === "b" || p.mode === "t");
  let returns: ReturnShape;
  if (row.return_type_kind === "v") returns = { kind: "void" };
  else if (row.return_type_kind === "c") {
    const relation =
      row.return_relation_schema !== null && row.return_relation_name !== null
        ? relations.get(qualifiedKey(row.return_relation_schema, row.return_relation_name))
        : undefined;
    returns = {
      kind: "composite",
      relation: relation ? { schema: relation.schema, name: relation.name } : null,
      columns: relation ? relation.columnList : (row.return_columns ?? []).map(toColumn),
    };
  } else if (row.return_type_kind === "r" && outputs.length > 0) {
    returns = {
      kind: "composite",
      relation: null,
      columns: outputs.map((p) => ({
        name: p.name ?? "",
        type: p.type,
        baseType: p.base_type,
        nullable: true,
        default: null,
        generated: false,
        enumValues: [],
      })),
    };
  } else if (row.return_type_kind === "r") returns = { kind: "record" };
  else returns = { kind: "scalar", type: row.return_type };
  return {
    schema: row.schema,
    name: row.name,
    volatility: row.volatility,
    setof: row.setof,
    returns,
    params: inputs.map((p) => ({
      name: p.name ?? "",
      type: p.type,
      baseType: p.base_type,
      hasDefault: p.has_default,
      variadic: p.mode === "v",
    })),
  };
}

const SINGLE_UNNAMED_TYPES = ["bytea", "json", "jsonb", "text", "xml"];

/**
 * PostgREST leaves out functions it cannot call by name: more than one unnamed parameter, or one
 * unnamed parameter of a type that cannot take a whole request body.
 */
function callable(routine: Routine): boolean {
  const unnamed = routine.params.filter((p) => p.name === "");
  if (unnamed.length === 0) return true;
  return unnamed.length === 1 && SINGLE_UNNAMED_TYPES.includes(unnamed[0]?.type ?? "");
}

/** PostgREST's order of overloads: fewer parameters first, then by parameter names and types. */
function routineOrder(a: Routine, b: Routine): number {
  if (a.params.length !== b.params.length) return a.params.length - b.params.length;
  for (let i = 0; i < a.params.length; i += 1) {
    const [p, q] = [a.params[i], b.params[i]];
    const x = `${p?.name}\u0000${p?.type}`;
    const y = `${q?.name}\u0000${q?.type}`;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const TX_END = ["commit", "commit-allow-override", "rollback", "rollback-allow-override"] as const;

/** PostgREST's in-database config: `ALTER ROLE authenticator SET pgrst.<key> = '...'`. */
function readDbConfig(settings: Record<string, string>): InDatabaseConfig {
  const txEnd = settings["pgrst.db_tx_end"] ?? "commit";
  const maxRows = Number(settings["pgrst.db_max_rows"]);
  return {
    aggregatesEnabled: /^(true|on|1|yes)$/i.test(settings["pgrst.db_aggregates_enabled"] ?? ""),
    planEnabled: /^(true|on|1|yes)$/i.test(settings["pgrst.db_plan_enabled"] ?? ""),
    preRequest: nonEmpty(settings["pgrst.db_pre_request"]),
    txEnd: (TX_END as readonly string[]).includes(txEnd) ? (txEnd as InDatabaseConfig["txEnd"]) : "commit",
    maxRows: Number.isInteger(maxRows) && maxRows > 0 ? maxRows : null,
  };
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value.trim() === "" ? null : value.trim();
}
