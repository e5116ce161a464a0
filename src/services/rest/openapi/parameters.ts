import type { Json } from "./types.js";

/** The parameters every path refers to (PostgREST's `makeParamDefs`, without the per-table ones). */
export function sharedParameters(): Json {
  const query = (name: string, description: string) => ({
    name,
    description,
    required: false,
    in: "query",
    type: "string",
  });
  const prefer = (values: string[]) => ({
    name: "Prefer",
    description: "Preference",
    required: false,
    in: "header",
    type: "string",
    ...(values.length > 0 ? { enum: values } : {}),
  });
  return {
    preferParams: prefer([]),
    preferReturn: prefer(["return=representation", "return=minimal", "return=none"]),
    preferCount: prefer(["count=none"]),
    preferPost: prefer([
      "return=representation",
      "return=minimal",
      "return=none",
      "resolution=ignore-duplicates",
      "resolution=merge-duplicates",
    ]),
    select: query("select", "Filtering Columns"),
    on_conflict: query("on_conflict", "On Conflict"),
    order: query("order", "Ordering"),
    range: {
      name: "Range",
      description: "Limiting and Pagination",
      required: false,
      in: "header",
      type: "string",
    },
    rangeUnit: {
      name: "Range-Unit",
      description: "Limiting and Pagination",
      required: false,
      in: "header",
      type: "string",
      default: "items",
    },
    offset: query("offset", "Limiting and Pagination"),
    limit: query("limit", "Limiting and Pagination"),
  };
}
