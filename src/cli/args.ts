import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  workdir: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

function parse<const O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Parses a command's arguments strictly; unknown options and stray positionals become a
 * {@link UsageError} that names them.
 */
export function parseCommandArgs<const O extends Options>(
  argv: readonly string[],
  options: O,
  positionals: { min?: number; max?: number } = {},
): ReturnType<typeof parse<O>> {
  const parsed = parse(argv, options);
  const help = (parsed.values as { help?: boolean }).help === true;
  const count = parsed.positionals.length;
  if (!help) {
    if (positionals.min !== undefined && count < positionals.min) {
      throw new UsageError(`expected ${positionals.min} argument(s), got ${count}`);
    }
    if (count > (positionals.max ?? 0)) {
      throw new UsageError(`unexpected argument: ${parsed.positionals[positionals.max ?? 0]}`);
    }
  }
  return parsed;
}
