import { createHash } from "node:crypto";
import type pg from "pg";
import { type RequestContext, type TransactionOptions, withContext } from "../../db/context.js";
import { pipelinedRead } from "../../db/pipelined-read.js";
import { pipelinedWrite } from "../../db/pipelined-write.js";
import { quoteIdent } from "../../db/sql.js";
import { pgrst, type RestError } from "./errors.js";
import type { PlanRequest } from "./media-types.js";
import type { SchemaCache } from "./schema-cache/types.js";

/** A generated statement: SQL text (the same for every request of one shape) and its values. */
export interface Statement {
  readonly text: string;
  readonly values: readonly (string | null)[];
}

/** The one row the main statement returns (reference §11, "Main statement shape"). */
export interface MainResult {
  readonly total: number | null;
  readonly pageTotal: number;
  readonly body: string;
  /** From `response.headers`, validated. */
  readonly headers: readonly (readonly [string, string])[];
  /** From `response.status`, validated; null when unset. */
  readonly status: number | null;
  readonly extra: readonly unknown[];
}

export interface ExecuteOptions {
  readonly pool: pg.Pool;
  readonly context: RequestContext;
  readonly cache: SchemaCache;
  readonly schema: string;
  readonly extraSearchPath: readonly string[];
  readonly readOnly: boolean;
  readonly timezone: string | null;
  /** Roll back instead of committing (tx=rollback, db-tx-end=rollback). */
  readonly rollback: boolean;
  /** Answer with the statement's EXPLAIN output instead (`application/vnd.pgrst.plan`). */
  readonly explain?: PlanRequest;
  /** EXPLAIN this count query for `count=planned|estimated`. */
  readonly plannedCount?: Statement | null;
  /**
   * Checks the result inside the transaction; a RestError thrown here rolls the transaction
   * back (PGRST116 single object, PGRST124 max-affected). Give it only when it can fail: a
   * write with a check takes a second round trip.
   */
  readonly check?: (result: MainResult) => void;
}

type StatementObserver = (statement: Statement) => void;
const observers = new Set<StatementObserver>();

/**
 * Registers a function that sees every main statement before it runs (tests assert the
 * generated SQL with it). Returns a function that removes it.
 */
export function observeStatements(fn: StatementObserver): () => void {
  observers.add(fn);
  return () => {
    observers.delete(fn);
  };
}

/** Distinct statements get a name (server-side prepared) up to this many per schema generation. */
const MAX_PREPARED = 2000;
const preparedNames = new Map<string, string>();
let preparedGeneration = -1;

/**
 * Runs one request as the caller (reference §11): one transaction through withContext with
 * PostgREST's settings, the `db-pre-request` hook, the main statement (prepared by name so a
 * repeated request shape skips parsing and planning), the planned count if asked, then COMMIT
 * or ROLLBACK.
 */
export async function execute(
  statement: Statement,
  options: ExecuteOptions,
): Promise<{ result: MainResult; planned: number | null }> {
  const { cache } = options;
  for (const observer of observers) observer(statement);
  // The caller's tenant scope is attached by pipelinedRead / withContext themselves.
  const context = options.context;
  const transaction = {
    searchPath: [options.schema, ...options.extraSearchPath],
    roleSettings: cache.roleSettings.get(options.context.role),
    settings: (options.timezone === null ? {} : { timezone: options.timezone }) as Record<string, string>,
  };
  if (options.explain)
    return { result: await explain(statement, options.explain, options, transaction), planned: null };
  const name = statementName(statement.text, cache.generation);
  if (
    options.readOnly &&
    name &&
    !options.rollback &&
    !options.plannedCount &&
    cache.dbConfig.preRequest === null
  ) {
    // The common read: settings and statement in one round trip (nothing to roll back).
    const row = await pipelinedRead(
      options.pool,
      context,
      { name, text: statement.text, values: statement.values as (string | null)[] },
      transaction,
    );
    const result = toResult(row ?? []);
    options.check?.(result);
    return { result, planned: null };
  }
  if (!options.readOnly && name && !options.plannedCount && cache.dbConfig.preRequest === null) {
    // Writes: settings, statement and the transaction's end under as few Syncs as allowed.
    const check = options.check;
    const row = await pipelinedWrite(
      options.pool,
      context,
      { name, text: statement.text, values: statement.values as (string | null)[] },
      {
        ...transaction,
        rollback: options.rollback,
        check: check && ((raw) => check(toResult(raw ?? []))),
      },
    );
    return { result: toResult(row ?? []), planned: null };
  }
  return withContext(
    options.pool,
    context,
    async (client, control) => {
      const preRequest = cache.dbConfig.preRequest;
      if (preRequest !== null) {
        const name = preRequest.split(".").map(quoteIdent).join(".");
        await client.query(`select ${name}()`);
      }
      const response = await client.query<unknown[]>({
        name,
        text: statement.text,
        values: statement.values as (string | null)[],
        rowMode: "array",
      });
      const result = toResult(response.rows[0] ?? []);
      let planned: number | null = null;
      if (options.plannedCount) {
        const explain = await client.query<unknown[]>({
          text: `EXPLAIN (FORMAT JSON) ${options.plannedCount.text}`,
          values: options.plannedCount.values as (string | null)[],
          rowMode: "array",
        });
        planned = planRows(explain.rows[0]?.[0]);
      }
      options.check?.(result);
      if (options.rollback) {
        // Deferred constraints still report their errors before the rollback, as in PostgREST.
        await client.query("set constraints all immediate");
        control.rollback();
      }
      return { result, planned };
    },
    { readOnly: options.readOnly, ...transaction },
  );
}

/**
 * The main statement's plan, in the request's transaction (so `analyze` runs it as the caller,
 * ending in COMMIT or ROLLBACK as the request would): PostgREST's body is the EXPLAIN rows, each
 * followed by a newline.
 */
async function explain(
  statement: Statement,
  plan: PlanRequest,
  options: ExecuteOptions,
  transaction: Omit<TransactionOptions, "readOnly">,
): Promise<MainResult> {
  const flags = [`FORMAT ${plan.format.toUpperCase()}`, ...plan.options.map((o) => o.toUpperCase())];
  return withContext(
    options.pool,
    options.context,
    async (client, control) => {
      const response = await client.query<unknown[]>({
        text: `EXPLAIN (${flags.join(", ")}) ${statement.text}`,
        values: statement.values as (string | null)[],
        rowMode: "array",
        // The plan as PostgreSQL prints it, not parsed.
        types: { getTypeParser: () => (value: string) => value },
      });
      if (options.rollback) control.rollback();
      const body = response.rows.map((row) => `${String(row[0])}\n`).join("");
      return { total: null, pageTotal: 0, body, headers: [], status: null, extra: [] };
    },
    { readOnly: options.readOnly, ...transaction },
  );
}

function statementName(text: string, generation: number): string | undefined {
  if (generation !== preparedGeneration) {
    preparedNames.clear();
    preparedGeneration = generation;
  }
  let name = preparedNames.get(text);
  if (name === undefined) {
    if (preparedNames.size >= MAX_PREPARED) return undefined;
    name = `gw${generation}_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    preparedNames.set(text, name);
  }
  return name;
}

function toResult(row: unknown[]): MainResult {
  const [total, pageTotal, body, headers, status, ...extra] = row;
  return {
    total: total === null || total === undefined ? null : Number(total),
    pageTotal: Number(pageTotal ?? 0),
    body: typeof body === "string" ? body : "",
    headers: parseGucHeaders(headers),
    status: parseGucStatus(status),
    extra,
  };
}

function parseGucHeaders(value: unknown): [string, string][] {
  if (value === null || value === undefined) return [];
  const invalid = (): RestError =>
    pgrst(
      "PGRST111",
      "response.headers guc must be a JSON array composed of objects with a single key and a string value",
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed)) throw invalid();
  return parsed.map((entry) => {
    const pairs = typeof entry === "object" && entry !== null ? Object.entries(entry) : [];
    const [pair] = pairs;
    if (pairs.length !== 1 || !pair || typeof pair[1] !== "string") throw invalid();
    return [pair[0], pair[1]];
  });
}

function parseGucStatus(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const status = Number(String(value).trim());
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw pgrst("PGRST112", "response.status guc must be a valid status code");
  }
  return status;
}

function planRows(value: unknown): number | null {
  const plans = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  const rows = (plans as { Plan?: { "Plan Rows"?: number } }[] | undefined)?.[0]?.Plan?.["Plan Rows"];
  return typeof rows === "number" ? rows : null;
}
