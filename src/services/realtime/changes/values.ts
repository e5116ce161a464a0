import { parse as parseArray } from "postgres-array";

/** A column's type as Supabase names it in `columns[].type` (pg_type.typname: int4, _text...). */
export interface ColumnType {
  readonly name: string;
  /** The element type's name for arrays, else null. */
  readonly element: string | null;
}

const INTEGERS = new Set(["int2", "int4", "int8", "oid"]);
const FLOATS = new Set(["float4", "float8", "numeric"]);

/**
 * A value from PostgreSQL's text output, rendered as `to_jsonb()` renders it — which is what
 * Supabase's change payloads carry (`realtime.cast` then jsonb): numbers and booleans as JSON,
 * json/jsonb parsed, timestamps in ISO form with `T`, arrays as JSON arrays, the rest as text.
 */
export function renderValue(text: string | null, type: ColumnType): unknown {
  if (text === null) return null;
  if (type.element !== null) {
    const elementType: ColumnType = { name: type.element, element: null };
    try {
      return parseArray(text, (item) => renderValue(item, elementType));
    } catch {
      return text;
    }
  }
  return renderScalar(text, type.name);
}

function renderScalar(text: string, type: string): unknown {
  if (type === "bool") return text === "t";
  if (INTEGERS.has(type)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  if (FLOATS.has(type)) {
    const value = Number(text);
    // NaN and ±Infinity are strings in jsonb.
    return Number.isFinite(value) ? value : text;
  }
  if (type === "json" || type === "jsonb") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type === "timestamptz") return isoTimestamp(text, true);
  if (type === "timestamp") return isoTimestamp(text, false);
  return text;
}

/** `2024-05-01 10:00:00.5+02` -> `2024-05-01T10:00:00.5+02:00`, as to_jsonb writes timestamps. */
function isoTimestamp(text: string, withZone: boolean): string {
  const iso = text.replace(" ", "T");
  if (!withZone) return iso;
  return iso.replace(/([+-]\d{2})$/, "$1:00");
}

/** Size of a record in bytes, as its JSON text. */
export function recordBytes(record: Readonly<Record<string, unknown>>): number {
  return Buffer.byteLength(JSON.stringify(record));
}
