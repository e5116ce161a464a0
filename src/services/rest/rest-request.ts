import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../config/index.js";
import type { RequestContext } from "../../db/context.js";
import type { Database } from "../../db/pool.js";
import { requireContext } from "../../request/caller.js";
import { pgrst } from "./errors.js";
import type { ExecuteOptions, MainResult } from "./execute.js";
import { fuzzyBest } from "./plan/fuzzy.js";
import type { PlanCache } from "./plan-cache.js";
import { type Preferences, parsePreferences } from "./preferences.js";
import type { SchemaCacheHolder } from "./schema-cache/cache.js";
import { qualifiedKey, type Relation, type SchemaCache } from "./schema-cache/types.js";

/** What every route handler gets: the service's dependencies. */
export interface RestDeps {
  readonly config: Config;
  readonly db: Database;
  readonly schemaCache: SchemaCacheHolder;
  readonly plans: PlanCache;
}

/** One API request, resolved: caller, schema, schema cache, preferences, raw query string. */
export interface RestRequest {
  readonly raw: FastifyRequest;
  readonly context: RequestContext;
  readonly cache: SchemaCache;
  readonly schema: string;
  /** True when the schema was chosen by a profile header (the response names it). */
  readonly profileChosen: boolean;
  readonly method: string;
  readonly query: string;
  readonly prefs: Preferences;
  readonly deps: RestDeps;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Resolves the request's caller, schema (profile headers, reference §9) and preferences. */
export function restRequest(raw: FastifyRequest, deps: RestDeps): RestRequest {
  const context = requireContext(raw);
  const cache = deps.schemaCache.current;
  if (cache === null) throw pgrst("PGRST002", "Could not query the database for the schema cache. Retrying.");
  const schemas = deps.config.api.schemas;
  const header = READ_METHODS.has(raw.method)
    ? raw.headers["accept-profile"]
    : raw.headers["content-profile"];
  const requested = Array.isArray(header) ? header[0] : header;
  if (requested !== undefined && !schemas.includes(requested)) {
    throw pgrst(
      "PGRST106",
      `Invalid schema: ${requested}`,
      null,
      `Only the following schemas are exposed: ${schemas.join(", ")}`,
    );
  }
  const url = raw.url;
  const index = url.indexOf("?");
  const txOverride = cache.dbConfig.txEnd.endsWith("allow-override");
  return {
    raw,
    context,
    cache,
    schema: requested ?? schemas[0] ?? "public",
    profileChosen: requested !== undefined,
    method: raw.method,
    query: index < 0 ? "" : url.slice(index + 1),
    prefs: parsePreferences(raw.headers.prefer, { timezones: cache.timezones, txOverride }),
    deps,
  };
}

/** The table or view `name` in the request's schema, or PGRST205 with a fuzzy hint. */
export function findRelation(req: RestRequest, name: string): Relation {
  const relation = req.cache.relations.get(qualifiedKey(req.schema, name));
  if (relation) return relation;
  const names = [...req.cache.relations.values()].filter((r) => r.schema === req.schema).map((r) => r.name);
  // PostgREST keeps no fuzzy index for schemas of 500 tables or more.
  const guess = names.length < 500 ? fuzzyBest(name, names, 0.75) : null;
  throw pgrst(
    "PGRST205",
    `Could not find the table '${req.schema}.${name}' in the schema cache`,
    null,
    guess ? `Perhaps you meant the table '${req.schema}.${guess}'` : null,
  );
}

/** Whether the transaction ends in ROLLBACK: `tx=rollback` when allowed, or db-tx-end. */
export function shouldRollback(req: RestRequest): boolean {
  const txEnd = req.cache.dbConfig.txEnd;
  if (req.prefs.tx !== null) return req.prefs.tx === "rollback";
  return txEnd.startsWith("rollback");
}

/** The execution options every request shares; callers add what is particular to them. */
export function executionFor(req: RestRequest, readOnly: boolean): ExecuteOptions {
  return {
    pool: req.deps.db.api,
    context: req.context,
    cache: req.cache,
    schema: req.schema,
    extraSearchPath: req.deps.config.api.extraSearchPath,
    readOnly,
    timezone: req.prefs.timezone,
    rollback: shouldRollback(req),
  };
}

/** Common response headers, then the function/pre-request's `response.headers`, which win. */
export function applyHeaders(req: RestRequest, reply: FastifyReply, result: MainResult | null): void {
  if (req.profileChosen) reply.header("content-profile", req.schema);
  for (const [name, value] of result?.headers ?? []) reply.header(name, value);
}
