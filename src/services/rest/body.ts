import { pgrst, RestError } from "./errors.js";

/** A write payload: the rows as JSON text for Postgres, and their keys for the column list. */
export interface Payload {
  /** JSON text of an array of objects, passed to Postgres as one parameter. */
  readonly json: string;
  readonly rows: readonly Record<string, unknown>[];
  /** The body was a single object (not an array). */
  readonly single: boolean;
}

/** The request's media type without parameters, lower-cased; JSON when absent. */
export function contentTypeOf(header: string | undefined): string {
  return (header ?? "application/json").split(";")[0]?.trim().toLowerCase() || "application/json";
}

/**
 * Reads an insert/update body: JSON (object or array of objects), `text/csv` (header line;
 * `NULL` is null) or `application/x-www-form-urlencoded` (reference §6.1).
 */
export function parsePayload(body: unknown, contentTypeHeader: string | undefined): Payload {
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : "";
  const type = contentTypeOf(contentTypeHeader);
  if (type === "text/csv") return fromRows(parseCsv(text), false);
  if (type === "application/x-www-form-urlencoded") {
    const row: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(text)) row[key] = value;
    return fromRows([row], true);
  }
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new RestError(415, {
      code: "PGRST107",
      message: `Content-Type not acceptable: ${type}`,
      details: null,
      hint: null,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw pgrst("PGRST102", "Empty or invalid json");
  }
  if (Array.isArray(value)) {
    if (!value.every(isObject)) throw pgrst("PGRST102", "All object keys must match");
    return { json: text, rows: value as Record<string, unknown>[], single: false };
  }
  if (isObject(value)) return { json: `[${text}]`, rows: [value], single: true };
  throw pgrst("PGRST102", "Empty or invalid json");
}

function fromRows(rows: Record<string, unknown>[], single: boolean): Payload {
  return { json: JSON.stringify(rows), rows, single };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 4180 CSV: quoted fields with `""` escapes; the first line names the columns. */
function parseCsv(text: string): Record<string, unknown>[] {
  const lines = splitCsv(text);
  const [header, ...records] = lines;
  if (!header) return [];
  return records
    .filter((record) => !(record.length === 1 && record[0] === ""))
    .map((record) => {
      if (record.length !== header.length)
        throw pgrst("PGRST102", "All lines must have same number of fields");
      const row: Record<string, unknown> = {};
      header.forEach((name, i) => {
        const value = record[i] ?? "";
        row[name] = value === "NULL" ? null : value;
      });
      return row;
    });
}

function splitCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      record.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * The columns a write sets: `columns=` when given, else the keys of the first row, which every
 * other row must share (PGRST102 "All object keys must match").
 */
export function payloadColumns(payload: Payload, columns: readonly string[] | null): string[] {
  if (columns !== null) return [...columns];
  const [first] = payload.rows;
  if (!first) return [];
  const keys = Object.keys(first);
  for (const row of payload.rows) {
    const other = Object.keys(row);
    if (other.length !== keys.length || !other.every((key) => Object.hasOwn(first, key))) {
      throw pgrst("PGRST102", "All object keys must match");
    }
  }
  return keys;
}
