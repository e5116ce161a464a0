import { ConfigError, describeValue } from "./errors.js";

type Table = Record<string, unknown>;

/**
 * Reads typed values out of a parsed TOML table, naming the file and the dotted key in every
 * error. Keys it is never asked for are ignored, so Supabase settings Groundwork does not use
 * are accepted as they are.
 */
export class TableReader {
  constructor(
    readonly file: string,
    private readonly table: Table,
    private readonly prefix = "",
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private key(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  private fail(name: string, expected: string, value: unknown): never {
    throw new ConfigError(this.file, this.key(name), expected, describeValue(value));
  }

  /** Resolves Supabase's `env(NAME)` indirection for string values. */
  private resolve(name: string, value: unknown): unknown {
    if (typeof value !== "string") return value;
    const match = /^env\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(value.trim());
    if (!match) return value;
    const variable = match[1] as string;
    const resolved = this.env[variable];
    if (resolved === undefined) {
      throw new ConfigError(
        this.file,
        this.key(name),
        `environment variable ${variable} to be set`,
        "it unset",
      );
    }
    return resolved;
  }

  has(name: string): boolean {
    return this.table[name] !== undefined;
  }

  /** A nested table; an absent one reads as empty. */
  section(name: string): TableReader {
    const value = this.table[name];
    if (value === undefined) return new TableReader(this.file, {}, this.key(name), this.env);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      this.fail(name, "a table", value);
    return new TableReader(this.file, value as Table, this.key(name), this.env);
  }

  /** Every key of this table, whatever its value. */
  keys(): string[] {
    return Object.keys(this.table);
  }

  /** Names of the sub-tables of this table (e.g. each `[functions.NAME]`). */
  sectionNames(): string[] {
    return Object.entries(this.table)
      .filter(([, value]) => typeof value === "object" && value !== null && !Array.isArray(value))
      .map(([name]) => name);
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  optionalString(name: string): string | null {
    const value = this.resolve(name, this.table[name]);
    if (value === undefined) return null;
    if (typeof value !== "string") this.fail(name, "a string", value);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.resolve(name, this.table[name]);
    if (value === undefined) return fallback;
    if (value === "true") return true;
    if (value === "false") return false;
    if (typeof value !== "boolean") this.fail(name, "true or false", value);
    return value;
  }

  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.resolve(name, this.table[name]);
    if (raw === undefined) return fallback;
    const value = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const bounds = `an integer${range.min !== undefined ? ` >= ${range.min}` : ""}${range.max !== undefined ? ` <= ${range.max}` : ""}`;
    if (typeof value !== "number" && typeof value !== "bigint") this.fail(name, bounds, raw);
    const number = Number(value);
    if (!Number.isInteger(number)) this.fail(name, bounds, raw);
    if ((range.min !== undefined && number < range.min) || (range.max !== undefined && number > range.max)) {
      this.fail(name, bounds, raw);
    }
    return number;
  }

  stringList(name: string, fallback: readonly string[]): readonly string[] {
    const value = this.table[name];
    if (value === undefined) return fallback;
    if (!Array.isArray(value)) this.fail(name, "an array of strings", value);
    return value.map((item, index) => {
      const resolved = this.resolve(`${name}[${index}]`, item);
      if (typeof resolved !== "string") this.fail(`${name}[${index}]`, "a string", item);
      return resolved;
    });
  }

  /** A size such as `"50MiB"`, `"5MB"`, `"20GB"`, `"30KB"`, `"3B"` or a plain number of bytes. */
  byteSize(name: string, fallback: number): number {
    const value = this.resolve(name, this.table[name]);
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
    if (typeof value === "string") {
      const bytes = parseByteSize(value);
      if (bytes !== null) return bytes;
    }
    return this.fail(name, 'a size such as "50MiB", "5MB" or a number of bytes', value);
  }
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Parses Supabase's size strings. Supabase treats "MB" as MiB in config; so do we, for parity. */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return null;
  const unit = (match[2] ?? "").toLowerCase() || "b";
  // The Supabase CLI parses sizes with docker/go-units' RAMInBytes: KB, MB and GB are binary.
  const binaryUnit = unit.length === 2 && unit !== "b" ? `${unit[0]}ib` : unit;
  const factor = SIZE_UNITS[binaryUnit];
  if (factor === undefined) return null;
  return Math.round(Number(match[1]) * factor);
}
