import type { ComputedRelationshipRow } from "./introspect.js";
import { type QualifiedName, qualifiedKey, type Relation, type Relationship } from "./types.js";

/** A foreign key (or one carried through views): `table(columns)` references `refTable(refColumns)`. */
export interface ForeignKey {
  readonly name: string;
  readonly table: QualifiedName;
  readonly columns: readonly string[];
  readonly refTable: QualifiedName;
  readonly refColumns: readonly string[];
}

/**
 * Every relationship the foreign keys give, keyed by source relation: each FK is a many-to-one
 * from its table and a one-to-many from the referenced one (one-to-one both ways when the FK
 * columns are a primary or unique key), and two FKs of one table whose columns are all in its
 * primary key make that table a junction for a many-to-many between the referenced tables.
 */
export function buildRelationships(
  foreignKeys: readonly ForeignKey[],
  relations: ReadonlyMap<string, Relation>,
  uniqueKeys: ReadonlyMap<string, readonly (readonly string[])[]>,
): Map<string, Relationship[]> {
  const result = new Map<string, Relationship[]>();
  const add = (rel: Relationship) => {
    const id = qualifiedKey(rel.source.schema, rel.source.name);
    result.set(id, [...(result.get(id) ?? []), rel]);
  };
  const exposed = (name: QualifiedName) => relations.has(qualifiedKey(name.schema, name.name));
  const byTable = new Map<string, ForeignKey[]>();
  for (const fk of foreignKeys) {
    const id = qualifiedKey(fk.table.schema, fk.table.name);
    byTable.set(id, [...(byTable.get(id) ?? []), fk]);
    if (!exposed(fk.table) || !exposed(fk.refTable)) continue;
    const pairs = fk.columns.map((c, i) => [c, fk.refColumns[i] as string] as const);
    const oneToOne = (uniqueKeys.get(id) ?? []).some((key) => sameSet(key, fk.columns));
    add({
      source: fk.table,
      target: fk.refTable,
      cardinality: oneToOne ? "one-to-one" : "many-to-one",
      constraint: fk.name,
      columns: pairs,
      junction: null,
    });
    add({
      source: fk.refTable,
      target: fk.table,
      cardinality: oneToOne ? "one-to-one" : "one-to-many",
      constraint: fk.name,
      columns: pairs.map(([a, b]) => [b, a] as const),
      junction: null,
    });
  }
  for (const [id, fks] of byTable) {
    const relation = relations.get(id);
    const pk = relation?.primaryKey ?? [];
    if (!relation || pk.length === 0) continue;
    for (const a of fks) {
      for (const b of fks) {
        if (a === b || a.name === b.name) continue;
        if (!a.columns.every((c) => pk.includes(c)) || !b.columns.every((c) => pk.includes(c))) continue;
        if (!exposed(a.refTable) || !exposed(b.refTable)) continue;
        add({
          source: a.refTable,
          target: b.refTable,
          cardinality: "many-to-many",
          constraint: a.name,
          columns: [],
          junction: {
            table: { schema: relation.schema, name: relation.name },
            sourceConstraint: a.name,
            sourceColumns: a.refColumns.map((c, i) => [c, a.columns[i] as string] as const),
            targetConstraint: b.name,
            targetColumns: b.columns.map((c, i) => [c, b.refColumns[i] as string] as const),
          },
        });
      }
    }
  }
  return result;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Adds the computed relationships (functions from one relation's row to another's). As in
 * PostgREST, a function named like a schema-qualified table replaces the foreign-key
 * relationships from the same source to that table.
 */
export function addComputedRelationships(
  relationships: Map<string, Relationship[]>,
  rows: readonly ComputedRelationshipRow[],
): void {
  for (const row of rows) {
    const id = qualifiedKey(row.table_schema, row.table_name);
    const kept = (relationships.get(id) ?? []).filter(
      (rel) => rel.function !== undefined || rel.target.schema !== row.schema || rel.target.name !== row.name,
    );
    kept.push({
      source: { schema: row.table_schema, name: row.table_name },
      target: { schema: row.target_schema, name: row.target_name },
      cardinality: row.single_row ? "many-to-one" : "one-to-many",
      constraint: "",
      columns: [],
      junction: null,
      function: { schema: row.schema, name: row.name },
    });
    relationships.set(id, kept);
  }
}
