/**
 * Go's `url.QueryEscape`: everything but `A-Z a-z 0-9 - _ . ~` is percent-encoded and a space
 * becomes `+`. GoTrue builds redirect fragments and the admin `Link` header with it.
 */
export function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll("%20", "+");
}

/** Go's `url.Values.Encode`: keys sorted, each key's values in order. */
export function goEncodeValues(values: ReadonlyMap<string, readonly string[]>): string {
  return [...values.keys()]
    .sort()
    .flatMap((key) => (values.get(key) ?? []).map((value) => `${goQueryEscape(key)}=${goQueryEscape(value)}`))
    .join("&");
}

/** The query of a raw URL as Go's `url.Values` (a key may repeat). */
export function queryValues(rawUrl: string): Map<string, string[]> {
  const index = rawUrl.indexOf("?");
  const values = new Map<string, string[]>();
  if (index < 0) return values;
  for (const [key, value] of new URLSearchParams(rawUrl.slice(index + 1))) {
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return values;
}
