import type { RestResponse } from "../helpers.js";

/** One protocol case: request -> status, headers, body, and the SQL that was generated. */
export interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  /** Exact JSON body, or a check on it. */
  readonly json?: unknown;
  readonly check?: (response: RestResponse) => void;
  readonly responseHeaders?: Record<string, string | null>;
  /** Fragments the generated main statement must contain. */
  readonly sql?: readonly string[];
}

/** The fixtures' films table, as generated SQL names it. */
export const F = `"public"."films"`;

/** The ids of a JSON array body. */
export const ids = (response: RestResponse): number[] =>
  (response.json as { id: number }[]).map((row) => row.id);
