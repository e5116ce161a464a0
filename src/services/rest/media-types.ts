import { pgrst } from "./errors.js";

/** The response formats the data API produces (reference §7). */
export type MediaType = "json" | "object" | "csv";

export interface Negotiated {
  readonly type: MediaType;
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
 * produce. Nothing acceptable is PGRST107 406 listing what was asked for.
 */
export function negotiate(accept: string | undefined): Negotiated {
  if (accept === undefined || accept.trim() === "") return JSON_RESPONSE;
  const entries = accept
    .split(",")
    .map((raw, index) => {
      const [type = "", ...params] = raw.split(";").map((p) => p.trim());
      const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
      const nulls = params.some((p) => p.replace(/\s/g, "") === "nulls=stripped");
      return { raw: raw.trim(), type: type.toLowerCase(), q: Number.isNaN(q) ? 1 : q, index, nulls };
    })
    .filter((entry) => entry.type !== "" && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const entry of entries) {
    const found = fromType(entry.type, entry.nulls);
    if (found) return found;
  }
  throw pgrst("PGRST107", `None of these media types are available: ${entries.map((e) => e.raw).join(", ")}`);
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
