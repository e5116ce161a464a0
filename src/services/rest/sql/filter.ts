import type { Filter, LogicTree, Operation, SimpleOperator } from "../parse/ast.js";
import { fieldSql } from "./expression.js";
import { arrayLiteral, type Params } from "./params.js";

const SQL_OPERATORS: Readonly<Record<SimpleOperator, string>> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "LIKE",
  ilike: "ILIKE",
  match: "~",
  imatch: "~*",
  isdistinct: "IS DISTINCT FROM",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sl: "<<",
  sr: ">>",
  nxr: "&<",
  nxl: "&>",
  adj: "-|-",
};

const FTS_FUNCTIONS = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
} as const;

/** What a condition needs to know about the relation its columns belong to. */
export interface ColumnTypes {
  /** `typname` of a column, when the schema cache knows it. */
  baseType(column: string): string | undefined;
}

/** One filter as SQL over `ref`; every value a parameter (reference §4.1). */
export function filterSql(ref: string, filter: Filter, params: Params, types: ColumnTypes): string {
  const lhs = fieldSql(ref, filter.field, params);
  const isColumn = filter.field.json.length === 0;
  const sql = operationSql(
    lhs,
    filter.expr.operation,
    params,
    isColumn ? types.baseType(filter.field.name) : undefined,
  );
  return filter.expr.negated ? `NOT (${sql})` : sql;
}

function operationSql(lhs: string, op: Operation, params: Params, baseType: string | undefined): string {
  switch (op.kind) {
    case "in":
      return `${lhs} = ANY(${params.add(arrayLiteral(op.values))})`;
    case "is":
      return `${lhs} ${IS_SQL[op.value]}`;
    case "fts": {
      const config = op.config === null ? "" : `${params.add(op.config)}::regconfig, `;
      // A column that is not a tsvector is converted first (PostgREST v13+).
      const vector = baseType === "tsvector" ? lhs : `to_tsvector(${config}${lhs})`;
      return `${vector} @@ ${FTS_FUNCTIONS[op.operator]}(${config}${params.add(op.value)})`;
    }
    case "simple": {
      const sqlOp = SQL_OPERATORS[op.operator];
      const likeish = op.operator === "like" || op.operator === "ilike";
      // `*` is the LIKE wildcard in URLs, where `%` would need escaping.
      const value = likeish ? op.value.replaceAll("*", "%") : op.value;
      if (op.quantifier) return `${lhs} ${sqlOp} ${op.quantifier.toUpperCase()}(${params.add(value)})`;
      return `${lhs} ${sqlOp} ${params.add(value)}`;
    }
  }
}

const IS_SQL = {
  null: "IS NULL",
  not_null: "IS NOT NULL",
  true: "IS TRUE",
  false: "IS FALSE",
  unknown: "IS UNKNOWN",
} as const;

/** A logic tree (`or=(...)`) as SQL. */
export function logicSql(ref: string, tree: LogicTree, params: Params, types: ColumnTypes): string {
  if (tree.kind === "filter") return filterSql(ref, tree.filter, params, types);
  const joiner = tree.operator === "and" ? " AND " : " OR ";
  const inner = `(${tree.children.map((child) => logicSql(ref, child, params, types)).join(joiner)})`;
  return tree.negated ? `NOT ${inner}` : inner;
}
