/** The app's URL with parameters in the query (PKCE) or the fragment (implicit). */
export function withParams(target: string, inQuery: boolean, params: Record<string, string>): string {
  const encoded = new URLSearchParams(params).toString();
  if (!inQuery) return `${target.split("#")[0]}#${encoded}`;
  const [base, fragment] = target.split("#", 2) as [string, string | undefined];
  const joined = `${base}${base.includes("?") ? "&" : "?"}${encoded}`;
  return fragment === undefined ? joined : `${joined}#${fragment}`;
}

/**
 * The app's URL with an error, as GoTrue's `redirectErrors` writes it: in the query and again in
 * the fragment, so both flows' clients find it.
 */
export function withErrorParams(target: string, params: Record<string, string>): string {
  const encoded = new URLSearchParams(params).toString();
  const base = target.split("#")[0] ?? target;
  return `${base}${base.includes("?") ? "&" : "?"}${encoded}#${encoded}`;
}
