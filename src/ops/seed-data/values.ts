import type { faker as Faker } from "@faker-js/faker/locale/en";
import { numberRange } from "./number-range.js";
import { textFor } from "./text-values.js";
import type { ColumnRule, TableShape } from "./types.js";

type FakerInstance = typeof Faker;

/** What the values of one row share: the person it is about, a suffix that keeps it unique. */
export interface RowContext {
  readonly table: TableShape;
  readonly faker: FakerInstance;
  /** Unique among the rows generated for this table (users and runs included). */
  readonly serial: number;
  readonly firstName: string;
  readonly lastName: string;
  /** The run's reference time; dates are placed around it. */
  readonly now: Date;
}

/** A fresh row context: the row's person is drawn first so name and email columns agree. */
export function rowContext(table: TableShape, faker: FakerInstance, serial: number, now: Date): RowContext {
  return {
    table,
    faker,
    serial,
    firstName: faker.person.firstName(),
    lastName: faker.person.lastName(),
    now,
  };
}

/**
 * A realistic value for `column` as text (cast to the column's type by the insert), chosen by the
 * column's allowed values, type and name and kept within its CHECK bounds, length and
 * precision; unique columns get the row's serial. Null for a nullable column left empty.
 */
export function columnValue(column: ColumnRule, row: RowContext): string | null {
  const { faker } = row;
  if (column.allowed !== null && column.allowed.length > 0) return faker.helpers.arrayElement(column.allowed);
  if (
    !column.notNull &&
    column.defaultExpression === null &&
    !faker.datatype.boolean({ probability: 0.85 })
  ) {
    return null;
  }
  switch (column.category) {
    case "S":
      return stringValue(column, row);
    case "N":
      return numberValue(column, row);
    case "B":
      return String(
        faker.datatype.boolean({ probability: /active|enabled|visible/.test(column.name) ? 0.85 : 0.5 }),
      );
    case "D":
      return dateValue(column, row);
    case "A":
      return arrayValue(column, row);
    case "I":
      return faker.internet.ipv4();
    case "T":
      return `${faker.number.int({ min: 1, max: 90 })} days`;
  }
  switch (column.baseType) {
    case "uuid":
      return faker.string.uuid();
    case "json":
    case "jsonb":
      return JSON.stringify({ note: faker.lorem.words(3) });
    case "bytea":
      return `\\x${faker.string.hexadecimal({ length: 16, prefix: "" })}`;
  }
  // A type we have no generator for: leave it to its default or null; a NOT NULL one fails the
  // insert with PostgreSQL's message naming the column.
  return null;
}

function stringValue(column: ColumnRule, row: RowContext): string {
  let value = textFor(column.name, row);
  for (let attempt = 0; attempt < 5 && !matchesPatterns(value, column); attempt++) {
    value = textFor(column.name, row);
  }
  if (column.unique) value = uniqueText(value, column, row.serial);
  return fitLength(value, column, row);
}

function matchesPatterns(value: string, column: ColumnRule): boolean {
  return column.patterns.every((pattern) => pattern.test(value));
}

/** Makes text unique with the row's serial: inside an email's local part, else as a suffix. */
function uniqueText(value: string, column: ColumnRule, serial: number): string {
  const at = value.indexOf("@");
  if (at > 0 && /mail/.test(column.name)) return `${value.slice(0, at)}.${serial}${value.slice(at)}`;
  const suffix = `-${serial}`;
  const room = column.maxLength === null ? value.length : Math.max(0, column.maxLength - suffix.length);
  return `${value.slice(0, room)}${suffix}`;
}

function fitLength(value: string, column: ColumnRule, row: RowContext): string {
  let result = value;
  if (column.maxLength !== null && result.length > column.maxLength) {
    result = result.slice(0, column.maxLength).trimEnd() || result.slice(0, column.maxLength);
  }
  if (column.minLength !== null && result.length < column.minLength) {
    result += row.faker.string.alpha({ length: column.minLength - result.length, casing: "lower" });
  }
  return result;
}

function numberValue(column: ColumnRule, row: RowContext): string {
  const { faker } = row;
  const range = numberRange(column);
  const integer =
    column.baseType !== "numeric" && column.baseType !== "float4" && column.baseType !== "float8";
  if (column.unique && integer) {
    return String(Math.min(range.max, Math.max(range.min, Math.ceil(range.min) + row.serial)));
  }
  if (integer) {
    const step = /percent|probability|pct/.test(column.name) && range.max - range.min >= 50 ? 5 : 1;
    const lo = Math.ceil(range.min / step);
    const hi = Math.floor(range.max / step);
    return String(faker.number.int({ min: lo, max: Math.max(lo, hi) }) * step);
  }
  const scale = column.scale ?? 2;
  const value = faker.number.float({ min: range.min, max: range.max, fractionDigits: scale });
  return value.toFixed(scale);
}

const DAY = 86_400_000;

function dateValue(column: ColumnRule, row: RowContext): string {
  const { faker, now } = row;
  const name = column.name;
  let date: Date;
  if (/birth|dob/.test(name)) date = faker.date.birthdate({ mode: "age", min: 20, max: 70, refDate: now });
  else if (/due|expected|close|deadline|scheduled|start|end|until|expires/.test(name)) {
    date = faker.date.between({ from: now.getTime() - 30 * DAY, to: now.getTime() + 120 * DAY });
  } else date = faker.date.recent({ days: 365, refDate: now });
  if (column.baseType === "date") return date.toISOString().slice(0, 10);
  if (column.baseType === "time" || column.baseType === "timetz") return date.toISOString().slice(11, 19);
  return date.toISOString();
}

function arrayValue(column: ColumnRule, row: RowContext): string {
  const { faker } = row;
  const count = faker.number.int({ min: 0, max: 3 });
  const elements = Array.from({ length: count }, () => {
    if (column.elementType === "int2" || column.elementType === "int4" || column.elementType === "int8") {
      return String(faker.number.int({ min: 1, max: 100 }));
    }
    if (column.elementType === "numeric")
      return faker.number.float({ min: 0, max: 100, fractionDigits: 2 }).toFixed(2);
    if (column.elementType === "bool") return String(faker.datatype.boolean());
    return `"${faker.word.noun().replaceAll('"', "").replaceAll("\\", "")}"`;
  });
  return `{${[...new Set(elements)].join(",")}}`;
}
