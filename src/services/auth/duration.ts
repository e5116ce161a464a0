const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/**
 * Parses a Go duration (`time.ParseDuration`), the format of `ban_duration`: `"24h"`, `"1h30m"`,
 * `"300ms"`, `"0"`. Returns seconds; throws an Error worded like Go's for anything else.
 */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw invalid();
  let seconds = 0;
  while (rest !== "") {
    const number = /^(\d+(?:\.\d*)?|\.\d+)/.exec(rest);
    if (!number) throw invalid();
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]+/.exec(rest)?.[0] ?? "";
    if (unit === "") throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const factor = UNITS[unit];
    if (factor === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    }
    seconds += Number(number[0]) * factor;
    rest = rest.slice(unit.length);
  }
  return sign * seconds;
}
