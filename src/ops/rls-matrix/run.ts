import pg from "pg";
import type { Config } from "../../config/index.js";
import { withTransaction } from "../../db/transaction.js";
import { type PlannedCell, planTableCells } from "./cells.js";
import { anonClaims, cellContext, KIT_HOOK_URI, userClaims } from "./claims.js";
import { hasTenancyKit, readDeclarations } from "./declarations.js";
import { diagnose, readTableFacts, type TableFacts } from "./diagnose.js";
import { planFixtureTables } from "./fixture-plan.js";
import { createFixture } from "./fixtures.js";
import { readMatrixFile, resolveMatrixFile } from "./matrix-file.js";
import { CellRunner } from "./probe.js";
import type { Cell, MatrixResult, Observation, Probe, Rights, TableSpec } from "./types.js";

export interface RlsMatrixOptions {
  readonly config: Config;
  /** A matrix file for tables with hand-written policies; its tables replace their declarations. */
  readonly matrixFile?: string;
  /** Only these tables (as `schema.table`); default all. */
  readonly tables?: readonly string[];
  readonly onProgress?: (done: number, total: number) => void;
}

/** Nothing to prove, or no kit to prove it with. */
export class RlsMatrixSetupError extends Error {
  override name = "RlsMatrixSetupError";
}

/** The HTTP method of the data API request a probe stands for. */
function methodOf(probe: Probe): string {
  if (probe === "select" || probe === "list") return "GET";
  if (probe === "insert") return "POST";
  return probe === "delete" ? "DELETE" : "PATCH";
}

/**
 * Proves the access matrix against the database at `url`: in ONE transaction that is always
 * rolled back, creates two tenants, a user per role plus a colleague and an outsider, their
 * memberships and rows in every declared table, then runs every cell as the data API would run
 * the request (role, full token claims through the project's access token hook, headers) and
 * compares what happened with what the declarations allow.
 */
export async function runRlsMatrix(url: string, options: RlsMatrixOptions): Promise<MatrixResult> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: url, application_name: "groundwork test rls" });
  await client.connect();
  try {
    // Whatever happens, nothing the run creates survives it.
    return await withTransaction(client, { rollback: true }, () =>
      proveInSavepoint(client, options, started),
    );
  } finally {
    await client.end();
  }
}

/**
 * {@link runRlsMatrix} on a client already inside a transaction (`db push` proves the policies its
 * migrations just created, before committing): everything runs in a savepoint that is rolled back,
 * so the fixture tenants, users and rows never reach the caller's transaction.
 */
export function runRlsMatrixOnClient(
  client: pg.ClientBase,
  options: RlsMatrixOptions,
): Promise<MatrixResult> {
  return proveInSavepoint(client, options, Date.now());
}

async function proveInSavepoint(
  client: pg.ClientBase,
  options: RlsMatrixOptions,
  started: number,
): Promise<MatrixResult> {
  await client.query(
    "savepoint groundwork_rls; set local search_path = ''; set local lock_timeout = '5s'; set local statement_timeout = '60s'",
  );
  try {
    return await proveMatrix(client, options, started);
  } finally {
    await client.query("rollback to savepoint groundwork_rls; release savepoint groundwork_rls");
  }
}

async function proveMatrix(
  client: pg.ClientBase,
  options: RlsMatrixOptions,
  started: number,
): Promise<MatrixResult> {
  const { config } = options;
  if (!(await hasTenancyKit(client))) {
    throw new RlsMatrixSetupError(
      "this database has no tenancy kit (groundwork.memberships): install Groundwork's platform schema first (groundwork start or groundwork db reset)",
    );
  }
  const warnings: string[] = [];
  const specs = await loadSpecs(client, options, warnings);
  if (specs.length === 0) {
    throw new RlsMatrixSetupError(
      "nothing to test: no table is protected with groundwork.protect() and no --matrix file names one",
    );
  }
  const roles = rolesByReach(specs.map((s) => s.rights));
  const hookUri = await chooseHook(client, config, warnings);

  const fixture = await createFixture(client, roles, await planFixtureTables(client, specs));
  const claims = new Map<string, Record<string, unknown>>();
  for (const role of roles) {
    const user = fixture.users.find((u) => u.key === `role:${role}`);
    if (user) claims.set(role, await userClaims(client, config, user, fixture.tenantB, hookUri));
  }
  const facts = new Map<string, TableFacts>();
  for (const spec of specs) facts.set(spec.table, await readTableFacts(client, spec.table));

  const planned = specs.flatMap((spec) => planTableCells(fixture, spec, roles));
  const runner = new CellRunner(client);
  const anon = anonClaims(config);
  const cells: Cell[] = [];
  for (const [index, cell] of planned.entries()) {
    const dbRole = cell.role === "anon" ? "anon" : "authenticated";
    const ctx = cellContext(
      dbRole,
      cell.role === "anon" ? anon : (claims.get(cell.role) ?? {}),
      methodOf(cell.probe),
      cell.table,
      `rls-${index + 1}`,
    );
    // The search_path the data API sets: the table's schema, then [api] extra_search_path.
    const searchPath = [cell.table.split(".")[0] ?? "public", ...config.api.extraSearchPath];
    const observed = await runner.run(ctx, cell.statement, searchPath);
    cells.push(judge(cell, observed, specs, facts));
    options.onProgress?.(index + 1, planned.length);
  }
  await runner.settle();
  return { tables: specs, roles, cells, warnings, durationMs: Date.now() - started };
}

async function loadSpecs(
  client: pg.ClientBase,
  options: RlsMatrixOptions,
  warnings: string[],
): Promise<TableSpec[]> {
  const { specs: declared, missing } = await readDeclarations(client);
  for (const table of missing) warnings.push(`${table} is declared but no longer exists; skipped`);
  const fromFile = options.matrixFile
    ? await resolveMatrixFile(client, options.matrixFile, readMatrixFile(options.matrixFile))
    : [];
  const byTable = new Map(declared.map((s) => [s.table, s]));
  for (const spec of fromFile) byTable.set(spec.table, spec);
  let specs = [...byTable.values()];
  if (options.tables && options.tables.length > 0) {
    const wanted = new Set(options.tables.map((t) => (t.includes(".") ? t : `public.${t}`)));
    for (const table of wanted) {
      if (!byTable.has(table)) warnings.push(`${table} is neither declared nor in the matrix file`);
    }
    specs = specs.filter((s) => wanted.has(s.table));
  }
  return specs.sort((a, b) => a.table.localeCompare(b.table));
}

/** Roles ordered by how far their rights reach (admins first), then by name. */
export function rolesByReach(all: readonly Rights[]): string[] {
  const reach = new Map<string, number>();
  const rank = { none: 0, own: 1, tenant: 2 } as const;
  for (const rights of all) {
    for (const [role, scopes] of Object.entries(rights)) {
      const sum = Object.values(scopes).reduce((total, scope) => total + rank[scope], 0);
      reach.set(role, (reach.get(role) ?? 0) + sum);
    }
  }
  return [...reach.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([role]) => role);
}

/** The project's access token hook; the kit's when none is configured (real tokens then lack the tenant). */
async function chooseHook(client: pg.ClientBase, config: Config, warnings: string[]): Promise<string | null> {
  const configured = config.auth.hooks.custom_access_token?.uri;
  if (configured) return configured;
  const { rows } = await client.query<{ ok: boolean }>(
    "select to_regprocedure('groundwork.access_token_hook(jsonb)') is not null as ok",
  );
  warnings.push(
    "[auth.hook.custom_access_token] is not enabled in this project: the matrix uses groundwork.access_token_hook, but real tokens will not carry the active tenant",
  );
  return rows[0]?.ok ? KIT_HOOK_URI : null;
}

function judge(
  cell: PlannedCell,
  observed: Observation,
  specs: readonly TableSpec[],
  facts: ReadonlyMap<string, TableFacts>,
): Cell {
  const { expected } = cell;
  // A list refused outright (no SELECT grant, e.g. revoked from anon as the advisor asks) shows
  // no row either.
  const rowsSeen = observed.rows ?? (observed.outcome === "denied" ? 0 : undefined);
  const pass =
    observed.outcome !== "error" &&
    (expected.kind === "rows" ? rowsSeen === expected.count : observed.outcome === expected.kind);
  const result = {
    table: cell.table,
    role: cell.role,
    probe: cell.probe,
    kind: cell.kind,
    expected,
    observed,
    pass,
  };
  if (pass) return result;
  const spec = specs.find((s) => s.table === cell.table) as TableSpec;
  const tableFacts = facts.get(cell.table) ?? { rlsEnabled: true, policies: [] };
  return { ...result, ...diagnose(spec, tableFacts, result) };
}
