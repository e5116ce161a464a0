import { pgrst } from "../errors.js";
import {
  type QualifiedName,
  qualifiedKey,
  type Relationship,
  type SchemaCache,
} from "../schema-cache/types.js";
import { fuzzyBest, fuzzyMatches } from "./fuzzy.js";

/**
 * Resolves `rel` (with an optional `!hint`) from `source` exactly as PostgREST's `findRel` does
 * (reference §3, "Resolving rel"):
 * - a computed relationship matches by its function's name;
 * - on a self-reference, the name of the table is the one-to-many (children) and the FK column
 *   the many-to-one (parent); a hint then names the referenced column of the one-to-many;
 * - otherwise `rel` names the target, or (for a table target, not a view) an FK constraint or
 *   the single FK column; a hint narrows a target name by constraint, FK or referenced column,
 *   or junction table.
 * No match is PGRST200; several are PGRST201 (status 300) listing them.
 */
export function findRelationship(
  cache: SchemaCache,
  source: QualifiedName,
  name: string,
  hint: string | null,
): Relationship {
  const candidates = (cache.relationships.get(qualifiedKey(source.schema, source.name)) ?? []).filter(
    (rel) => rel.target.schema === source.schema,
  );
  const isView = (rel: Relationship) => {
    const kind = cache.relations.get(qualifiedKey(rel.target.schema, rel.target.name))?.kind;
    return kind === "v" || kind === "m";
  };
  const matches = candidates.filter((rel) => {
    if (rel.function) return rel.function.name === name;
    const isSelf = rel.source.schema === rel.target.schema && rel.source.name === rel.target.name;
    if (isSelf) {
      if (hint === null) {
        return (
          (rel.target.name === name && rel.cardinality === "one-to-many") ||
          (matchesFkColumn(rel, name) && rel.cardinality === "many-to-one")
        );
      }
      return rel.target.name === name && rel.cardinality === "one-to-many" && matchesRefColumn(rel, hint);
    }
    if (hint === null) {
      return (
        rel.target.name === name ||
        (!isView(rel) && (matchesConstraint(rel, name) || matchesFkColumn(rel, name)))
      );
    }
    return (
      rel.target.name === name &&
      (matchesConstraint(rel, hint) ||
        matchesFkColumn(rel, hint) ||
        matchesRefColumn(rel, hint) ||
        rel.junction?.table.name === hint)
    );
  });
  const [first] = matches;
  if (first && matches.length === 1) return first;
  if (matches.length === 0) {
    throw pgrst(
      "PGRST200",
      `Could not find a relationship between '${source.name}' and '${name}' in the schema cache`,
      `Searched for a foreign key relationship between '${source.name}' and '${name}${
        hint === null ? "" : `' using the hint '${hint}`
      }' in the schema '${source.schema}', but no matches were found.`,
      noRelationshipHint(cache, source, name),
    );
  }
  matches.sort(postgrestOrder);
  throw pgrst(
    "PGRST201",
    `Could not embed because more than one relationship was found for '${source.name}' and '${name}'`,
    matches.map(describe),
    `Try changing '${name}' to one of the following: ${matches
      .map((rel) => `'${rel.target.name}!${rel.junction ? rel.junction.table.name : rel.constraint}'`)
      .join(", ")}. Find the desired relationship in the 'details' key.`,
  );
}

const CARDINALITY_ORDER = ["one-to-many", "many-to-one", "one-to-one", "many-to-many"];

/** PostgREST lists candidates in its Relationship type's derived order (target, cardinality, key). */
function postgrestOrder(a: Relationship, b: Relationship): number {
  const keys = (rel: Relationship): (string | number)[] => [
    rel.function ? 1 : 0,
    rel.target.schema,
    rel.target.name,
    CARDINALITY_ORDER.indexOf(rel.cardinality),
    rel.junction ? rel.junction.table.schema : rel.constraint,
    rel.junction ? rel.junction.table.name : "",
    rel.junction ? rel.junction.sourceConstraint : rel.columns.map((p) => p.join(",")).join(";"),
    rel.junction ? rel.junction.targetConstraint : "",
  ];
  const x = keys(a);
  const y = keys(b);
  for (let i = 0; i < x.length; i += 1) {
    const [p, q] = [x[i] as string | number, y[i] as string | number];
    if (p < q) return -1;
    if (p > q) return 1;
  }
  return 0;
}

function matchesConstraint(rel: Relationship, name: string): boolean {
  return rel.junction === null && rel.function === undefined && rel.constraint === name;
}

/** The single column on the embedding side (PostgREST's `matchFKSingleCol`). */
function matchesFkColumn(rel: Relationship, name: string): boolean {
  return rel.junction === null && rel.columns.length === 1 && rel.columns[0]?.[0] === name;
}

/** The single column on the embedded side (PostgREST's `matchFKRefSingleCol`). */
function matchesRefColumn(rel: Relationship, name: string): boolean {
  return rel.junction === null && rel.columns.length === 1 && rel.columns[0]?.[1] === name;
}

function describe(rel: Relationship): Record<string, string> {
  const cols = (names: readonly string[]) => `(${names.join(", ")})`;
  if (rel.junction) {
    const j = rel.junction;
    return {
      cardinality: "many-to-many",
      embedding: `${rel.source.name} with ${rel.target.name}`,
      relationship: `${j.table.name} using ${j.sourceConstraint}${cols(j.sourceColumns.map((p) => p[1]))} and ${
        j.targetConstraint
      }${cols(j.targetColumns.map((p) => p[0]))}`,
    };
  }
  return {
    cardinality: rel.cardinality,
    embedding: `${rel.source.name} with ${rel.target.name}`,
    relationship: `${rel.constraint} using ${rel.source.name}${cols(rel.columns.map((p) => p[0]))} and ${
      rel.target.name
    }${cols(rel.columns.map((p) => p[1]))}`,
  };
}

/**
 * PostgREST's `noRelBetweenHint`: when the source has relationships, the closest other target
 * name (never the name itself); otherwise the closest source with relationships.
 */
function noRelationshipHint(cache: SchemaCache, source: QualifiedName, name: string): string | null {
  const own = cache.relationships.get(qualifiedKey(source.schema, source.name));
  if (own !== undefined) {
    const targets = own.filter((rel) => rel.target.schema === source.schema).map((rel) => rel.target.name);
    const child = fuzzyMatches(name, targets).find(([score]) => score < 1)?.[1];
    return child === undefined ? null : `Perhaps you meant '${child}' instead of '${name}'.`;
  }
  const sources: string[] = [];
  for (const rels of cache.relationships.values()) {
    const rel = rels.find((r) => r.target.schema === source.schema && r.source.schema === source.schema);
    if (rel) sources.push(rel.source.name);
  }
  const parent = fuzzyBest(source.name, sources);
  return parent === null ? null : `Perhaps you meant '${parent}' instead of '${source.name}'.`;
}
