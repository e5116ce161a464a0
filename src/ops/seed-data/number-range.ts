import type { ColumnRule } from "./types.js";

/** The range a column's type allows (integers by width, numeric(p, s) by precision). */
function typeRange(column: ColumnRule): { min: number; max: number } {
  switch (column.baseType) {
    case "int2":
      return { min: -32768, max: 32767 };
    case "int4":
      return { min: -2147483648, max: 2147483647 };
    case "int8":
      return { min: -(2 ** 53), max: 2 ** 53 };
  }
  if (column.precision !== null) {
    const limit = 10 ** (column.precision - (column.scale ?? 0)) - 10 ** -(column.scale ?? 0);
    return { min: -limit, max: limit };
  }
  return { min: -1e12, max: 1e12 };
}

/** Ranges that look real for columns named like money, shares, counts and ratings. */
const NAMED_RANGES: readonly [RegExp, number, number][] = [
  [/revenue|turnover|budget/, 100_000, 50_000_000],
  [/price|cost|fee/, 1, 500],
  [/amount|value|total|balance|salary/, 500, 250_000],
  [/percent|probability|pct|discount/, 0, 100],
  [/rating|stars|score/, 1, 5],
  [/quantity|qty|count|seats|units/, 1, 100],
  [/age/, 18, 80],
  [/year/, 1990, 2030],
  [/lat/, -60, 70],
  [/lng|lon/, -170, 170],
];

/**
 * Where a generated number goes: the name's realistic range narrowed to what the type and the
 * CHECK bounds allow; when they do not meet, what the type and checks allow. Strict bounds move
 * inward by the smallest step of the column (1 for integers, 10^-scale for numeric).
 */
export function numberRange(column: ColumnRule): { min: number; max: number } {
  const type = typeRange(column);
  const step = ["int2", "int4", "int8"].includes(column.baseType) ? 1 : 10 ** -(column.scale ?? 2);
  const allowedMin = Math.max(
    type.min,
    column.min ? column.min.value + (column.min.exclusive ? step : 0) : column.max ? -Infinity : 0,
  );
  const allowedMax = Math.min(
    type.max,
    column.max ? column.max.value - (column.max.exclusive ? step : 0) : Infinity,
  );
  const named = NAMED_RANGES.find(([pattern]) => pattern.test(column.name));
  const [wantMin, wantMax] = named ? [named[1], named[2]] : [0, 1000];
  const min = Math.max(allowedMin, wantMin);
  const max = Math.min(allowedMax, wantMax);
  if (min <= max) return { min, max };
  const fallbackMin = Number.isFinite(allowedMin) ? allowedMin : Math.min(allowedMax, 0);
  const fallbackMax = Number.isFinite(allowedMax) ? allowedMax : fallbackMin + 1000;
  return { min: fallbackMin, max: Math.min(fallbackMax, fallbackMin + 1_000_000) };
}
