/**
 * The fuzzy string set PostgREST's "Perhaps you meant ..." hints come from (Haskell's `fuzzyset`,
 * a port of fuzzyset.js): candidates are scored by the cosine similarity of their character
 * trigrams (bigrams when no trigram matches), the best 50 rescored by Levenshtein distance.
 * Written here because the JavaScript package carries a non-commercial licence, and the hints
 * must pick the same candidate PostgREST picks.
 */

const GRAM_SIZES = [3, 2] as const;
/** fuzzyset's default minimum score (`get`, `getOne`). */
export const DEFAULT_MIN_SCORE = 0.33;

/** Keeps only letters, digits, spaces and commas (fuzzyset's normalisation for grams). */
function normalize(key: string): string {
  return [...key].filter((c) => /[\p{L}\p{N}\s,]/u.test(c)).join("");
}

function gramCounts(key: string, size: number): Map<string, number> {
  const chars = [...`-${normalize(key)}-`];
  const counts = new Map<string, number>();
  for (let i = 0; i + size <= chars.length; i += 1) {
    const gram = chars.slice(i, i + size).join("");
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

function norm(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count * count;
  return Math.sqrt(sum);
}

/**
 * The candidates matching `value`, best first, as `[score, candidate]` with score ≥ `minScore`.
 * Entries are keyed by their lower case; an exact match of keys is the only result, with score 1.
 */
export function fuzzyMatches(
  value: string,
  candidates: readonly string[],
  minScore = DEFAULT_MIN_SCORE,
): [number, string][] {
  const byKey = new Map<string, string>();
  for (const candidate of candidates) {
    const key = candidate.toLowerCase();
    if (!byKey.has(key)) byKey.set(key, candidate);
  }
  const wanted = value.toLowerCase();
  const exact = byKey.get(wanted);
  if (exact !== undefined) return [[1, exact]];
  for (const size of GRAM_SIZES) {
    const counts = gramCounts(wanted, size);
    const valueNorm = norm(counts);
    const cosine: [number, string][] = [];
    for (const key of byKey.keys()) {
      const other = gramCounts(key, size);
      let dot = 0;
      for (const [gram, count] of counts) dot += count * (other.get(gram) ?? 0);
      if (dot > 0) cosine.push([dot / (valueNorm * norm(other)), key]);
    }
    cosine.sort((a, b) => b[0] - a[0]);
    const rescored = cosine
      .slice(0, 50)
      .map(([, key]): [number, string] => [similarity(key, wanted), key])
      .sort((a, b) => b[0] - a[0])
      .filter(([score]) => score >= minScore)
      .map(([score, key]): [number, string] => [score, byKey.get(key) as string]);
    if (rescored.length > 0) return rescored;
  }
  return [];
}

/** The best candidate for `value` scoring at least `minScore`, or null. */
export function fuzzyBest(
  value: string,
  candidates: readonly string[],
  minScore = DEFAULT_MIN_SCORE,
): string | null {
  return fuzzyMatches(value, candidates, minScore)[0]?.[1] ?? null;
}

function similarity(a: string, b: string): number {
  const longest = Math.max([...a].length, [...b].length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i += 1) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= y.length; j += 1) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (x[i - 1] === y[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[y.length] as number;
}
