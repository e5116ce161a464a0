import { pgrst } from "./errors.js";

/** The response formats the data API produces (reference §7). */
export type MediaType = "json" | "object" | "csv";

/** EXPLAIN output instead of the rows (`application/vnd.pgrst.plan`, with `db-plan-enabled`). */
export interface PlanRequest {
  readonly format: "json" | "text";
  /** EXPLAIN options in PostgREST's order: ANALYZE, VERBOSE, SETTINGS, BUFFERS, WAL. */
  readonly options: readonly string[];
}

export interface Negotiated {
  readonly type: MediaType;
  /** Set when the plan of the statement is asked for; `type` is then its `for=` format. */
  readonly plan?: PlanRequest;
  /** `nulls=stripped`: null-valued keys removed (json_strip_nulls). */
  readonly stripNulls: boolean;
  /** The Content-Type header of a successful response. */
  readonly contentType: string;
}

const JSON_RESPONSE: Negotiated = {
  type: "json",
  stripNulls: false,
  contentType: "application/json; charset=utf-8",
};

/**
 * Picks the response format from `Accept`: the first entry (by q, then order) that the API can
 * produce; the plan media types only when `planEnabled`. Nothing acceptable is PGRST107 406
 * listing what was asked for.
 */
export function negotiate(accept: string | undefined, planEnabled = false): Negotiated {
  if (accept === undefined || accept.trim() === "") return JSON_RESPONSE;
  const entries = accept
    .split(",")
    .map((raw, index) => {
      const [type = "", ...params] = raw.split(";").map((p) => p.trim());
      const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
      const nulls = params.some((p) => p.replace(/\s/g, "") === "nulls=stripped");
      return { raw: raw.trim(), type: type.toLowerCase(), q: Number.isNaN(q) ? 1 : q, index, nulls, params };
    })
    .filter((entry) => entry.type !== "" && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const entry of entries) {
    const found = entry.type.startsWith("application/vnd.pgrst.plan")
      ? planEnabled
        ? planType(entry.type, entry.params)
        : null
      : fromType(entry.type, entry.nulls);
    if (found) return found;
  }
  // Plan types are named as PostgREST prints them (with their `for` and options).
  const names = entries.map(
    (e) => planType(e.type, e.params)?.contentType.replace("; charset=utf-8", "") ?? e.raw,
  );
  throw pgrst("PGRST107", `None of these media types are available: ${names.join(", ")}`);
}

function fromType(type: string, nulls: boolean): Negotiated | null {
  switch (type) {
    case "application/json":
    case "application/*":
    case "*/*":
      return JSON_RESPONSE;
    case "application/vnd.pgrst.array+json":
    case "application/vnd.pgrst.array":
      return {
        type: "json",
        stripNulls: nulls,
        contentType: nulls
          ? "application/vnd.pgrst.array+json; nulls=stripped; charset=utf-8"
          : "application/json; charset=utf-8",
      };
    case "application/vnd.pgrst.object+json":
    case "application/vnd.pgrst.object":
      return {
        type: "object",
        stripNulls: nulls,
        contentType: nulls
          ? "application/vnd.pgrst.object+json; nulls=stripped; charset=utf-8"
          : "application/vnd.pgrst.object+json; charset=utf-8",
      };
    case "text/csv":
      return { type: "csv", stripNulls: false, contentType: "text/csv; charset=utf-8" };
    default:
      return null;
  }
}

const PLAN_OPTIONS = ["analyze", "verbose", "settings", "buffers", "wal"];

/** `application/vnd.pgrst.plan[+json|+text]; for="..."; options=analyze|verbose|...` */
function planType(type: string, params: readonly string[]): Negotiated | null {
  const format = type.endsWith("+json")
    ? "json"
    : type.endsWith("+text") || type.endsWith(".plan")
      ? "text"
      : null;
  if (format === null) return null;
  const param = (name: string) => {
    const found = params.find((p) => p.toLowerCase().startsWith(`${name}=`));
    return found
      ?.slice(name.length + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
  };
  const forType = (param("for") ?? "application/json").toLowerCase();
  const inner = fromType(forType, false);
  if (inner === null) return null;
  const given = (param("options") ?? "").split("|");
  const options = PLAN_OPTIONS.filter((option) => given.includes(option));
  const mime = `application/vnd.pgrst.plan+${format}; for="${forType}"`;
  return {
    ...inner,
    plan: { format, options },
    contentType: `${mime}${options.length > 0 ? `; options=${options.join("|")}` : ""}; charset=utf-8`,
  };
}
