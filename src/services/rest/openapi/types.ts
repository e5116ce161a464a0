import type { Column } from "../schema-cache/types.js";

/** A JSON object of the OpenAPI document. */
export type Json = Record<string, unknown>;

/*
 * PostgreSQL types as PostgREST's OpenAPI output maps them to Swagger 2.0 types and formats.
 */

/** A column default as PostgREST shows it: string literals without their cast, others as JSON. */
export function defaultValue(column: Column): unknown {
  if (column.default === null) return undefined;
  if (swaggerType(column.type) === "string") {
    const literal = /^'(.*)'::.+$/s.exec(column.default);
    return literal ? literal[1] : column.default;
  }
  try {
    return JSON.parse(column.default);
  } catch {
    return undefined;
  }
}

/** `type`, `format` and array `items` of a PostgreSQL type, as PostgREST maps them. */
export function typed(type: string): Json {
  const out: Json = { format: swaggerFormat(type) };
  const kind = swaggerType(type);
  if (kind) out.type = kind;
  if (kind === "array") {
    const inner = swaggerType(type.replace(/\[\]$/, ""));
    out.items = inner ? { type: inner } : {};
  }
  return out;
}

export function paramType(type: string): string {
  const kind = swaggerType(type);
  return kind === undefined || kind === "array" ? "string" : kind;
}

export function swaggerType(type: string): string | undefined {
  const base = type.replace(/\(.*\)$/, "");
  switch (base) {
    case "character varying":
    case "character":
    case "text":
      return "string";
    case "boolean":
      return "boolean";
    case "smallint":
    case "integer":
    case "bigint":
      return "integer";
    case "numeric":
    case "real":
    case "double precision":
      return "number";
    case "json":
    case "jsonb":
      return undefined;
    default:
      return type.endsWith("[]") ? "array" : "string";
  }
}

function swaggerFormat(type: string): string {
  if (type === "smallint" || type === "integer") return "int32";
  if (type === "bigint") return "int64";
  return type;
}
