import { createHash } from "node:crypto";
import { LIMITS } from "../limits.js";

/** One `config.postgres_changes` entry of a join, as the client sent it. */
export interface ChangeBinding {
  /** The entry exactly as sent: the join reply echoes it back with an `id`. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly id: number;
  readonly event: "*" | "INSERT" | "UPDATE" | "DELETE";
  /** `*` or a schema name. */
  readonly schema: string;
  /** `*` or a table name. */
  readonly table: string;
  readonly filter: Filter | null;
}

export type FilterOp = "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in";

/** `column=op.value` (reference/realtime.md §8); `in` holds a list. */
export interface Filter {
  readonly column: string;
  readonly op: FilterOp;
  readonly values: readonly string[];
}

const OPS = new Set<string>(["eq", "neq", "lt", "lte", "gt", "gte", "in"]);
const EVENTS = new Set(["*", "INSERT", "UPDATE", "DELETE"]);

/** Parses a join's `postgres_changes` list; an invalid entry is refused with Realtime's wording. */
export function parseBindings(
  value: unknown,
): { ok: true; bindings: ChangeBinding[] } | { ok: false; message: string } {
  if (value === undefined || value === null) return { ok: true, bindings: [] };
  if (!Array.isArray(value))
    return { ok: false, message: "Error parsing `postgres_changes` params: expected a list" };
  const bindings: ChangeBinding[] = [];
  for (const entry of value) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return { ok: false, message: "Error parsing `postgres_changes` params: expected objects" };
    }
    const raw = entry as Record<string, unknown>;
    const event = typeof raw.event === "string" ? raw.event.toUpperCase() : "";
    if (!EVENTS.has(event))
      return { ok: false, message: `Error parsing \`event\` param: ${String(raw.event)}` };
    if (typeof raw.schema !== "string" || raw.schema === "") {
      return { ok: false, message: "Error parsing `schema` param: a schema is required" };
    }
    if (raw.table !== undefined && raw.table !== null && typeof raw.table !== "string") {
      return { ok: false, message: "Error parsing `table` param" };
    }
    let filter: Filter | null = null;
    if (typeof raw.filter === "string" && raw.filter.trim() !== "") {
      const parsed = parseFilter(raw.filter);
      if (typeof parsed === "string") return { ok: false, message: parsed };
      filter = parsed;
    }
    bindings.push({
      raw,
      id: bindingId(
        event,
        raw.schema,
        (raw.table as string | undefined) ?? "*",
        typeof raw.filter === "string" ? raw.filter : "",
      ),
      event: event as ChangeBinding["event"],
      schema: raw.schema,
      table: typeof raw.table === "string" && raw.table !== "" ? raw.table : "*",
      filter,
    });
  }
  return { ok: true, bindings };
}

/** `status=in.(a,b)`, `id=eq.1`... into a filter, or an error message. */
export function parseFilter(text: string): Filter | string {
  const match = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(text.trim());
  if (!match) return `Error parsing \`filter\` params: ${text}`;
  const [, column = "", op = "", value = ""] = match;
  if (!OPS.has(op)) return `Error parsing \`filter\` params: unknown operator ${op}`;
  if (op !== "in") return { column: column.trim(), op: op as FilterOp, values: [value] };
  const list = /^\((.*)\)$/s.exec(value);
  if (!list) return `Error parsing \`filter\` params: ${text}`;
  const values = splitList(list[1] ?? "");
  if (values.length > LIMITS.maxInValues) {
    return `Error parsing \`filter\` params: too many values for in (at most ${LIMITS.maxInValues})`;
  }
  return { column: column.trim(), op: "in", values };
}

/** `a,"b,c",d` -> [a, "b,c", d]: commas inside double quotes do not split. */
function splitList(text: string): string[] {
  const values: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (char === "," && !quoted) {
      values.push(current.trim());
      current = "";
    } else current += char;
  }
  if (current.trim() !== "" || values.length > 0) values.push(current.trim());
  return values;
}

/**
 * A positive id, the same for identical entries (Supabase hashes the entry's params; realtime-js
 * treats 0 as "no id"), below 2^27 as Supabase's are.
 */
function bindingId(event: string, schema: string, table: string, filter: string): number {
  const digest = createHash("sha1")
    .update(JSON.stringify([event, schema, table, filter]))
    .digest();
  return (digest.readUInt32BE(0) % (2 ** 27 - 1)) + 1;
}

/**
 * Whether a row's value passes a filter. Values come as the database's text output; numbers,
 * booleans and timestamps compare as such, the rest as text (as Supabase compares after casting
 * the filter value to the column's type).
 */
export function passesFilter(filter: Filter, value: unknown, type: string): boolean {
  if (value === undefined) return false;
  if (value === null) return false;
  const compare = comparator(type);
  const results = filter.values.map((candidate) => compare(value, candidate));
  switch (filter.op) {
    case "eq":
      return results[0] === 0;
    case "neq":
      return results[0] !== 0 && results[0] !== null;
    case "lt":
      return results[0] !== null && (results[0] ?? 0) < 0;
    case "lte":
      return results[0] !== null && (results[0] ?? 1) <= 0;
    case "gt":
      return results[0] !== null && (results[0] ?? 0) > 0;
    case "gte":
      return results[0] !== null && (results[0] ?? -1) >= 0;
    case "in":
      return results.includes(0);
  }
}

type Compare = (value: unknown, candidate: string) => number | null;

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);
const TIMES = new Set(["timestamptz", "timestamp", "date"]);

function comparator(type: string): Compare {
  if (NUMERIC.has(type)) {
    return (value, candidate) => {
      const a = Number(value);
      const b = Number(candidate);
      if (Number.isNaN(a) || Number.isNaN(b) || candidate.trim() === "") return null;
      return Math.sign(a - b);
    };
  }
  if (type === "bool") {
    const truth = (v: unknown) =>
      typeof v === "boolean" ? v : ["t", "true", "1", "yes", "on"].includes(String(v).toLowerCase());
    return (value, candidate) => (truth(value) === truth(candidate) ? 0 : 1);
  }
  if (TIMES.has(type)) {
    return (value, candidate) => {
      const a = Date.parse(String(value));
      const b = Date.parse(candidate);
      if (Number.isNaN(a) || Number.isNaN(b)) return String(value) === candidate ? 0 : null;
      return Math.sign(a - b);
    };
  }
  return (value, candidate) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text === candidate ? 0 : text < candidate ? -1 : 1;
  };
}
