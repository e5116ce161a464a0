import { maskSecrets } from "../db/database-url.js";

/** Writes a line to stdout with passwords in URLs masked. */
export function print(line = ""): void {
  process.stdout.write(`${maskSecrets(line)}\n`);
}

/** Writes a line to stderr (messages and progress), masked the same way. */
export function note(line: string): void {
  process.stderr.write(`${maskSecrets(line)}\n`);
}

/** Writes data for machines (`-o json`, `--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Masks all but the first and last few characters of a secret for human-readable output. */
export function maskToken(value: string): string {
  return value.length <= 12 ? "****" : `${value.slice(0, 6)}…${value.slice(-4)}`;
}

/** Lays out rows as aligned columns. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}
