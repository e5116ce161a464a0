import pg from "pg";
import type { Config } from "../../config/index.js";
import { withTransaction } from "../../db/transaction.js";
import { queryCatalog } from "./catalog.js";
import { matchesExclusion } from "./exclusions.js";
import { LINTS } from "./lints/index.js";
import {
  type CodeCheck,
  type Finding,
  LEVELS,
  type LintContext,
  type LintDefinition,
  type RawFinding,
  type SqlCheck,
} from "./types.js";

/** The roles a request without the service key runs as. */
export const CLIENT_ROLES: readonly string[] = ["anon", "authenticated"];

export interface LintOptions {
  /** Lints to run; default all of {@link LINTS}. */
  readonly lints?: readonly LintDefinition[];
  /** Exclusions (lint names or finding ids, `*` wildcards); default `[lint] exclude` of the config. */
  readonly exclude?: readonly string[];
}

/** A lint whose check failed to run (its findings are unknown, so the run cannot pass). */
export interface LintFailure {
  readonly lint: string;
  readonly message: string;
}

export interface LintReport {
  /** Findings not excluded, most severe first. */
  readonly findings: readonly Finding[];
  /** Findings an exclusion matched. */
  readonly excluded: readonly Finding[];
  readonly failures: readonly LintFailure[];
  readonly lintsRun: number;
}

/**
 * Runs the advisor against the database at `url`: every lint's check in one read-only
 * transaction with an empty search_path (each in its own savepoint, so one failing check does not
 * hide the others), then the exclusions.
 */
export async function runLints(url: string, config: Config, options: LintOptions = {}): Promise<LintReport> {
  const client = new pg.Client({ connectionString: url, application_name: "groundwork db lint" });
  await client.connect();
  try {
    return await withTransaction(client, { readOnly: true, rollback: true }, () =>
      runLintsOnClient(client, config, options),
    );
  } finally {
    await client.end();
  }
}

/**
 * {@link runLints} on a client already inside a transaction (`db push` lints the schema its
 * migrations just built, before committing): the lints run in a savepoint that is rolled back, so
 * the caller's transaction and settings are as they were.
 */
export async function runLintsOnClient(
  client: pg.ClientBase,
  config: Config,
  options: LintOptions = {},
): Promise<LintReport> {
  const lints = options.lints ?? LINTS;
  const exclude = options.exclude ?? config.lint.exclude;
  const found: Finding[] = [];
  const failures: LintFailure[] = [];
  await client.query(
    "savepoint groundwork_lints; set local search_path = ''; set local statement_timeout = '60s'",
  );
  try {
    const { rows } = await client.query<{ rolname: string }>(
      "select rolname from pg_catalog.pg_roles where rolname = any($1::text[])",
      [CLIENT_ROLES],
    );
    const context: LintContext = {
      config,
      exposedSchemas: config.api.schemas,
      clientRoles: CLIENT_ROLES.filter((role) => rows.some((row) => row.rolname === role)),
    };
    for (const lint of lints) {
      await client.query("savepoint lint");
      try {
        const raw =
          "sql" in lint.check
            ? await runSql(client, lint.check, context)
            : await runCode(client, lint.check, context);
        found.push(...raw.map((finding) => toFinding(lint, finding)));
        await client.query("release savepoint lint");
      } catch (error) {
        await client.query("rollback to savepoint lint");
        failures.push({ lint: lint.name, message: (error as Error).message });
      }
    }
  } finally {
    // Also undoes the settings above, and anything a check might have written.
    await client.query("rollback to savepoint groundwork_lints; release savepoint groundwork_lints");
  }
  const order = new Map(lints.map((lint, index) => [lint.name, index]));
  found.sort(
    (a, b) =>
      LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) ||
      (order.get(a.lint) ?? 0) - (order.get(b.lint) ?? 0) ||
      a.object.localeCompare(b.object) ||
      a.id.localeCompare(b.id),
  );
  return {
    findings: found.filter((finding) => !matchesExclusion(finding, exclude)),
    excluded: found.filter((finding) => matchesExclusion(finding, exclude)),
    failures,
    lintsRun: lints.length,
  };
}

async function runSql(client: pg.ClientBase, check: SqlCheck, context: LintContext): Promise<RawFinding[]> {
  if (check.requires) {
    const { rows } = await client.query<{ present: boolean }>(
      "select to_regclass($1) is not null as present",
      [check.requires],
    );
    if (!rows[0]?.present) return [];
  }
  const rows = await queryCatalog<{
    object: string;
    detail: string;
    cache_key: string;
    metadata?: Record<string, unknown> | null;
  }>(client, context, check.sql);
  return rows.map((row) => ({
    object: row.object,
    detail: row.detail,
    cacheKey: row.cache_key,
    metadata: row.metadata ?? {},
  }));
}

function runCode(
  client: pg.ClientBase,
  check: CodeCheck,
  context: LintContext,
): Promise<readonly RawFinding[]> {
  return check.run(context, client);
}

function toFinding(lint: LintDefinition, raw: RawFinding): Finding {
  return {
    id: raw.cacheKey,
    lint: lint.name,
    code: lint.code,
    level: lint.level,
    categories: lint.categories,
    title: lint.title,
    object: raw.object,
    detail: raw.detail,
    why: lint.why,
    fix: lint.fix,
    remediation: lint.remediation ?? null,
    metadata: raw.metadata ?? {},
  };
}
