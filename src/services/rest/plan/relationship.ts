import { pgrst } from "../errors.js";
import {
  type QualifiedName,
  qualifiedKey,
  type Relationship,
  type SchemaCache,
} from "../schema-cache/types.js";

/**
 * Resolves `rel` (with an optional `!hint`) from `source` the way PostgREST does (reference §3,
 * "Resolving rel"): `rel` names the target table, or an FK constraint, or the single FK column;
 * the hint names an FK constraint, an FK column, a referenced column, or a junction table.
 * No match is PGRST200; several are PGRST201 (status 300) listing them.
 */
export function findRelationship(
  cache: SchemaCache,
  source: QualifiedName,
  name: string,
  hint: string | null,
): Relationship {
  const candidates = cache.relationships.get(qualifiedKey(source.schema, source.name)) ?? [];
  const matches = candidates.filter(
    (rel) =>
      (rel.target.name === name || matchesConstraint(rel, name) || matchesFkColumn(rel, name)) &&
      (hint === null ||
        matchesConstraint(rel, hint) ||
        matchesFkColumn(rel, hint) ||
        matchesRefColumn(rel, hint) ||
        rel.junction?.table.name === hint),
  );
  const [first] = matches;
  if (first && matches.length === 1) return first;
  if (matches.length === 0) {
    throw pgrst(
      "PGRST200",
      `Could not find a relationship between '${source.name}' and '${name}' in the schema cache`,
      `Searched for a foreign key relationship between '${source.name}' and '${name}'${
        hint === null ? "" : ` using the hint '${hint}'`
      } in the schema '${source.schema}', but no matches were found.`,
      suggestion(cache, source, name, candidates),
    );
  }
  // Prefer a table over views of it when both match: PostgREST keeps the duplicates that views
  // add out of the ambiguity by matching on the exact target.
  const exact = matches.filter((rel) => rel.target.name === name);
  if (exact.length === 1 && exact[0]) return exact[0];
  // A self-reference matches a column hint both ways; the hint then names the column on the
  // embedding side (`people!best_friend_id` is the many-to-one).
  const sourceSide = matches.filter((rel) => rel.columns.length === 1 && rel.columns[0]?.[0] === hint);
  if (sourceSide.length === 1 && sourceSide[0]) return sourceSide[0];
  throw pgrst(
    "PGRST201",
    `Could not embed because more than one relationship was found for '${source.name}' and '${name}'`,
    matches.map(describe),
    `Try changing '${name}' to one of the following: ${matches
      .map((rel) => `'${rel.target.name}!${rel.junction ? rel.junction.table.name : rel.constraint}'`)
      .join(", ")}. Find the desired relationship in the 'details' key.`,
  );
}

function matchesConstraint(rel: Relationship, name: string): boolean {
  if (rel.junction) return rel.junction.sourceConstraint === name || rel.junction.targetConstraint === name;
  return rel.constraint === name;
}

/** The FK column (on whichever side holds the FK), for single-column keys. */
function matchesFkColumn(rel: Relationship, name: string): boolean {
  if (rel.junction || rel.columns.length !== 1) return false;
  const [pair] = rel.columns;
  if (!pair) return false;
  return rel.cardinality === "one-to-many" ? pair[1] === name : pair[0] === name;
}

function matchesRefColumn(rel: Relationship, name: string): boolean {
  if (rel.junction || rel.columns.length !== 1) return false;
  const [pair] = rel.columns;
  if (!pair) return false;
  return rel.cardinality === "one-to-many" ? pair[0] === name : pair[1] === name;
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

/** PostgREST's fuzzy "Perhaps you meant 'x' instead of 'y'." hint, by edit distance. */
function suggestion(
  cache: SchemaCache,
  source: QualifiedName,
  name: string,
  candidates: readonly Relationship[],
): string | null {
  if (candidates.length === 0 && !cache.relations.has(qualifiedKey(source.schema, source.name))) return null;
  const best = closest(
    name,
    candidates.map((rel) => rel.target.name),
  );
  return best && best !== name ? `Perhaps you meant '${best}' instead of '${name}'.` : null;
}

/** The closest of `options` to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = 0;
  for (const option of options) {
    const score =
      1 - distance(word.toLowerCase(), option.toLowerCase()) / Math.max(word.length, option.length, 1);
    if (score > bestScore) {
      bestScore = score;
      best = option;
    }
  }
  return bestScore >= 0.5 ? best : null;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}
