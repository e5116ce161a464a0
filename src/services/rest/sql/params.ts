/** Bound parameters of one statement: every value of the request goes here, never into the SQL text. */
export class Params {
  readonly values: (string | null)[] = [];

  /** Adds a value and returns its placeholder (`$3`). */
  add(value: string | null): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A Postgres array literal (`{"a","b,c"}`) of text items, for `= ANY($n)`. */
export function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}
