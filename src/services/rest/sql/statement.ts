import type { Negotiated } from "../media-types.js";

/** How the rows of `_postgrest_t` become the response body. */
export type BodyShape =
  | { readonly kind: "rows"; readonly media: Negotiated }
  /** Scalar function results: one value, or an array of values (`setof`). */
  | { readonly kind: "scalar"; readonly setof: boolean; readonly media: Negotiated }
  /** No body is built (return=minimal, void functions). */
  | { readonly kind: "none" };

export interface StatementParts {
  /** The CTEs before `pgrst_source`'s consumers, e.g. `pgrst_source AS (...)`. */
  readonly ctes: readonly string[];
  /** What `_postgrest_t` is selected from: `SELECT * FROM pgrst_source` for reads. */
  readonly rows: string;
  readonly body: BodyShape;
  /** `(SELECT count(*) FROM pgrst_source_count)` when counted; null otherwise. */
  readonly total: string | null;
  /** More output columns (write results: inserted count, Location key). */
  readonly extra?: readonly string[];
}

/**
 * PostgREST's main-statement shape (reference §11): one row with `total_result_set`,
 * `page_total`, `body` (text built by Postgres, passed to the client as it is),
 * `response_headers` and `response_status` read from the GUCs after everything else ran.
 */
export function mainStatement(parts: StatementParts): string {
  const columns = [
    `${parts.total ?? "null::bigint"} AS total_result_set`,
    "pg_catalog.count(_postgrest_t) AS page_total",
    `${bodySql(parts.body)} AS body`,
    "nullif(current_setting('response.headers', true), '') AS response_headers",
    "nullif(current_setting('response.status', true), '') AS response_status",
    ...(parts.extra ?? []),
  ];
  const csv = parts.body.kind === "rows" && parts.body.media.type === "csv";
  const ctes = csv ? [...parts.ctes, `_postgrest_rows AS (${parts.rows})`] : parts.ctes;
  const rows = csv ? "SELECT * FROM _postgrest_rows" : parts.rows;
  return `WITH ${ctes.join(", ")} SELECT ${columns.join(", ")} FROM (${rows}) _postgrest_t`;
}

function bodySql(body: BodyShape): string {
  if (body.kind === "none") return "''::text";
  const strip = body.media.stripNulls;
  if (body.kind === "scalar") {
    const value = "_postgrest_t.pgrst_scalar";
    if (body.setof && body.media.type !== "object") return `coalesce(json_agg(${value}), '[]')::text`;
    return `coalesce((json_agg(${value})->0)::text, 'null')`;
  }
  const row = strip ? "json_strip_nulls(row_to_json(_postgrest_t))" : "_postgrest_t";
  switch (body.media.type) {
    case "object":
      return `coalesce((json_agg(${row})->0)::text, 'null')`;
    case "csv":
      // Header line from the first row's keys, then each row's text form without its parentheses.
      return (
        "(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text AS k FROM " +
        "(SELECT row_to_json(hh) AS r FROM (SELECT * FROM _postgrest_rows) AS hh LIMIT 1) s) a) || chr(10) || " +
        "coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), chr(10)), '')"
      );
    default:
      return `coalesce(json_agg(${row}), '[]')::text`;
  }
}
