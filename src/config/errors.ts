/** A configuration problem, named precisely enough for the user to fix it without guessing. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${file}: ${key}: expected ${expected}, found ${found}`);
    this.name = "ConfigError";
  }
}

/** Describes a value for an error message: its type and, for scalars, the value itself. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === "object") return "a table";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `the ${typeof value} ${String(value)}`;
}
