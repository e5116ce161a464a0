import { quoteIdent, quoteQualified } from "../../../db/sql.js";
import type { Relation } from "../schema-cache/types.js";
import type { Params } from "./params.js";

/** What a write returns from its RETURNING clause. */
export type Returning = "representation" | "minimal" | "headers-only";

export interface InsertSpec {
  readonly relation: Relation;
  readonly columns: readonly string[];
  /** Placeholder of the JSON payload (always an array), e.g. `$1`. */
  readonly jsonParam: string;
  /** `missing=default`: a key missing from a row takes the column default instead of null. */
  readonly missingDefault: boolean;
  readonly onConflict: { readonly columns: readonly string[]; readonly action: "update" | "nothing" } | null;
  readonly returning: Returning;
}

/**
 * `INSERT ... SELECT` from the JSON payload expanded with jsonb_to_record using the columns'
 * own types, optionally `ON CONFLICT`, with the RETURNING the response needs. Upserts on tables
 * also return whether each row was newly inserted (`xmax = 0`) for the 201/200 choice.
 */
export function insertSql(spec: InsertSpec, params: Params): string {
  const { relation } = spec;
  const table = quoteQualified(relation.schema, relation.name);
  const json = spec.jsonParam;
  let sql: string;
  if (spec.columns.length === 0) {
    // Each `{}` inserts a row of defaults.
    sql = `INSERT INTO ${table} SELECT FROM jsonb_array_elements(${json}::jsonb)`;
  } else {
    const definitions = spec.columns.map(
      (name) => `${quoteIdent(name)} ${relation.columns.get(name)?.type ?? "text"}`,
    );
    const values = spec.columns.map((name) => `pgrst_body.${quoteIdent(name)}`);
    let elements = `jsonb_array_elements(${json}::jsonb) AS pgrst_elem`;
    if (spec.missingDefault) {
      // As PostgREST: every row starts from the columns' defaults, evaluated per row (so a
      // sequence advances even for rows that give the column), overlaid with the row's keys.
      const defaults = spec.columns.flatMap((name) => {
        const fallback = relation.columns.get(name)?.default;
        return fallback ? [`${params.add(name)}::text`, fallback] : [];
      });
      elements =
        `jsonb_array_elements(${json}::jsonb) AS pgrst_given, ` +
        `LATERAL (SELECT jsonb_build_object(${defaults.join(", ")}) || pgrst_given AS pgrst_elem) AS pgrst_defaults`;
    }
    sql =
      `INSERT INTO ${table}(${spec.columns.map(quoteIdent).join(", ")}) SELECT ${values.join(", ")} ` +
      `FROM ${elements}, ` +
      `LATERAL jsonb_to_record(pgrst_elem) AS pgrst_body(${definitions.join(", ")})`;
  }
  if (spec.onConflict) {
    const columns = spec.onConflict.columns;
    const clause =
      columns.length > 0 ? ` ON CONFLICT (${columns.map(quoteIdent).join(", ")})` : " ON CONFLICT";
    // Every given column, the conflict columns too, as PostgREST writes it: a body of only the
    // conflict columns still updates (and returns) the existing row.
    const updates = spec.columns.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`);
    sql +=
      spec.onConflict.action === "nothing" || updates.length === 0
        ? `${clause} DO NOTHING`
        : `${clause} DO UPDATE SET ${updates.join(", ")}`;
  }
  const tracksInserted = spec.onConflict !== null && (relation.kind === "r" || relation.kind === "p");
  return `${sql} RETURNING ${returningList(relation, spec.returning, tracksInserted ? `(${table}.xmax = 0)` : "true")}`;
}

/** `UPDATE ... SET col = pgrst_body.col FROM jsonb_to_record($n)` with the request's filters. */
export function updateSql(
  relation: Relation,
  columns: readonly string[],
  jsonParam: string,
  where: readonly string[],
  returning: Returning,
): string {
  const table = quoteQualified(relation.schema, relation.name);
  if (columns.length === 0) {
    // An empty object changes nothing (PostgREST answers as if no row matched).
    const conditions = [`${jsonParam}::jsonb IS NULL`, "false", ...where];
    return `SELECT ${returningList(relation, returning, "false")} FROM ${table} WHERE ${conditions.join(" AND ")}`;
  }
  const definitions = columns.map(
    (name) => `${quoteIdent(name)} ${relation.columns.get(name)?.type ?? "text"}`,
  );
  const sets = columns.map((name) => `${quoteIdent(name)} = pgrst_body.${quoteIdent(name)}`);
  let sql = `UPDATE ${table} SET ${sets.join(", ")} FROM jsonb_to_record(${jsonParam}::jsonb) AS pgrst_body(${definitions.join(", ")})`;
  if (where.length > 0) sql += ` WHERE ${where.join(" AND ")}`;
  return `${sql} RETURNING ${returningList(relation, returning, "false")}`;
}

/** `DELETE ... WHERE <filters>`. */
export function deleteSql(relation: Relation, where: readonly string[], returning: Returning): string {
  let sql = `DELETE FROM ${quoteQualified(relation.schema, relation.name)}`;
  if (where.length > 0) sql += ` WHERE ${where.join(" AND ")}`;
  return `${sql} RETURNING ${returningList(relation, returning, "false")}`;
}

function returningList(relation: Relation, returning: Returning, inserted: string): string {
  const table = quoteQualified(relation.schema, relation.name);
  const columns =
    returning === "representation"
      ? relation.columnList.map((c) => `${table}.${quoteIdent(c.name)}`)
      : returning === "headers-only"
        ? relation.primaryKey.map((c) => `${table}.${quoteIdent(c)}`)
        : [];
  return [...columns, `${inserted} AS pgrst_inserted`].join(", ");
}
