import pg from "pg";
import type { TestUsersConfig } from "../../config/index.js";
import { withTransaction } from "../../db/transaction.js";
import { readDeclarations } from "../rls-matrix/declarations.js";
import { generateData } from "../seed-data/generate.js";
import { introspectTables } from "../seed-data/introspect.js";
import { planSeed } from "../seed-data/plan.js";
import { scopeTables } from "../seed-data/scope.js";
import { ensureAuthUsers } from "./auth-users.js";
import { ensurePeopleRows, peopleTables } from "./people-rows.js";
import { ensureMemberships, hasTenancy } from "./tenant.js";
import type { TableRows, UsersSeedResult } from "./types.js";

export interface UsersSeedOptions {
  /** bcrypt cost of new password hashes (`[auth] password_hash_cost`). */
  readonly hashCost: number;
  /** The data's seed; default `[test_users] seed`. */
  readonly seed?: number;
  /** Dates are placed around this time; default today at 00:00 UTC, so a day's runs agree. */
  readonly now?: Date;
}

/** The database lacks what test users need, named with what to do. */
export class UsersSeedError extends Error {
  override name = "UsersSeedError";
}

/**
 * Creates the test users, their memberships in the test tenant and their data, on a client whose
 * transaction the caller holds (`groundwork reset` runs it inside its own). Idempotent: what
 * already exists is kept, and each user's rows are topped up to the configured counts.
 */
export async function seedTestUsers(
  client: pg.ClientBase,
  config: TestUsersConfig,
  options: UsersSeedOptions,
): Promise<UsersSeedResult> {
  const started = Date.now();
  const seed = options.seed ?? config.seed;
  const now = options.now ?? startOfDay(new Date());
  const { rows } = await client.query<{ ok: boolean }>(
    "select to_regclass('auth.users') is not null and to_regclass('auth.identities') is not null as ok",
  );
  if (rows[0]?.ok !== true) {
    throw new UsersSeedError(
      "the database has no auth.users table: install the platform schema first (groundwork db reset, or db push to a target)",
    );
  }
  const tenancy = await hasTenancy(client);
  const users = await ensureAuthUsers(client, config.users, config.password, options.hashCost);
  const tenant = tenancy ? { id: config.tenantId, name: config.tenantName } : null;
  if (tenant) await ensureMemberships(client, tenant, users);

  const shapes = await introspectTables(client, "public");
  const declarations = tenancy ? (await readDeclarations(client)).specs : [];
  const scopes = scopeTables(shapes, declarations);
  const byTable = new Map(scopes.map((scope) => [scope.shape.table, scope]));
  const tenantId = tenant?.id ?? config.tenantId;
  const people = await ensurePeopleRows(client, peopleTables(scopes), byTable, users, tenantId, now);
  const plan = planSeed(scopes, users, config.parentRows);
  const created = await generateData(
    client,
    plan,
    shapes,
    users.map((user) => ({ key: user.key, id: user.id, peopleKeys: people.keys.get(user.id) ?? new Map() })),
    { tenantId, seed, now },
  );

  const tables: TableRows[] = [...people.created.entries()].map(([table, count]) => ({
    table,
    perUser: {},
    created: count,
  }));
  for (const [table, perUser] of created) {
    const counts = Object.fromEntries(perUser);
    tables.push({ table, perUser: counts, created: Object.values(counts).reduce((sum, n) => sum + n, 0) });
  }
  return {
    users,
    tenant,
    tables,
    rowsCreated: tables.reduce((sum, t) => sum + t.created, 0),
    warnings: plan.warnings,
    seed,
    durationMs: Date.now() - started,
  };
}

/** `groundwork users seed`: {@link seedTestUsers} in one transaction of its own. */
export async function runUsersSeed(
  databaseUrl: string,
  config: TestUsersConfig,
  options: UsersSeedOptions,
): Promise<UsersSeedResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await withTransaction(client, {}, () => seedTestUsers(client, config, options));
  } finally {
    await client.end();
  }
}

function startOfDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}
