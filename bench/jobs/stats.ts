/** Percentile (0-100) of a list of numbers, by nearest rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** "p50 1.2 ms, p99 3.4 ms, max 5.6 ms" of durations in milliseconds. */
export function describeMs(values: readonly number[]): string {
  const f = (n: number) => `${n.toFixed(1)} ms`;
  return `p50 ${f(percentile(values, 50))}, p99 ${f(percentile(values, 99))}, max ${f(Math.max(...values))}`;
}
