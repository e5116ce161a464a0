import { quoteIdent } from "../../../db/sql.js";
import { RestError } from "../errors.js";
import type { Field } from "../parse/ast.js";
import type { Params } from "./params.js";

/**
 * `ref."col"->'a'->>0`: a column of `ref` with its JSON path. Keys and indexes are parameters
 * cast to text/int so the operator resolves the same way as a literal would.
 */
export function fieldSql(ref: string, field: Field, params: Params): string {
  let sql = `${ref}.${quoteIdent(field.name)}`;
  for (const step of field.json) {
    const operand =
      typeof step.key === "number" ? `${params.add(String(step.key))}::int` : `${params.add(step.key)}::text`;
    sql += `${step.arrow}${operand}`;
  }
  return sql;
}

/** The name a selected field gets in the JSON output: the last JSON key, else the column. */
export function fieldAlias(field: Field): string {
  for (let i = field.json.length - 1; i >= 0; i -= 1) {
    const key = field.json[i]?.key;
    if (typeof key === "string") return key;
  }
  return field.name;
}

/**
 * `CAST(expr AS type)`. The type is written into the SQL as it is (PostgREST does the same), so
 * it is first checked against the type names in pg_type; an unknown name is answered as
 * Postgres would answer it (42704), before any SQL runs.
 */
export function castSql(expr: string, type: string | null, typeNames: ReadonlySet<string>): string {
  if (type === null) return expr;
  if (!/^[A-Za-z0-9_ $]+$/.test(type) || !typeNames.has(normalizeType(type))) {
    throw new RestError(400, {
      code: "42704",
      message: `type "${type}" does not exist`,
      details: null,
      hint: null,
    });
  }
  return `CAST(${expr} AS ${type})`;
}

/** SQL-standard spellings Postgres accepts besides the pg_type names. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  int: "int4",
  integer: "int4",
  smallint: "int2",
  bigint: "int8",
  real: "float4",
  float: "float8",
  "double precision": "float8",
  boolean: "bool",
  decimal: "numeric",
  "character varying": "varchar",
  character: "bpchar",
  char: "bpchar",
  "timestamp with time zone": "timestamptz",
  "timestamp without time zone": "timestamp",
  "time with time zone": "timetz",
  "time without time zone": "time",
};

function normalizeType(type: string): string {
  const lower = type.trim().toLowerCase().replace(/\s+/g, " ");
  return TYPE_ALIASES[lower] ?? lower;
}
