import pg from "pg";
import type { TestUsersConfig } from "../../config/index.js";
import { useProjectSearchPath } from "../../db/search-path.js";
import { withTransaction } from "../../db/transaction.js";
import { backupDatabase } from "../backup/backup.js";
import { removeTestUsers } from "../test-users/remove.js";
import { seedTestUsers } from "../test-users/seed.js";
import type { UsersSeedResult } from "../test-users/types.js";
import { truncateSchema } from "./truncate.js";

export type ResetStep = "backup" | "truncate" | "users" | "seed";

export interface ResetOptions {
  /** Where the backup goes (the project's `backups/`). */
  readonly backupsDir: string;
  /** bcrypt cost of new password hashes. */
  readonly hashCost: number;
  readonly seed?: number;
  readonly onStep?: (step: ResetStep) => void;
  /** Runs inside the transaction after the seed, before the commit (tests use it to fail midway). */
  readonly beforeCommit?: (client: pg.ClientBase) => Promise<void>;
}

export interface ResetResult {
  readonly backupFile: string;
  /** Tables emptied (`public.contacts`...). */
  readonly truncated: readonly string[];
  /** Emails of the test users removed before seeding them afresh. */
  readonly removedUsers: readonly string[];
  readonly seeded: UsersSeedResult;
  readonly durationMs: number;
}

/** The reset failed after the backup was written; the database is unchanged. */
export class ResetFailedError extends Error {
  override name = "ResetFailedError";
  constructor(
    message: string,
    readonly backupFile: string,
  ) {
    super(message);
  }
}

/**
 * `groundwork reset`: backs the database up, then in ONE transaction empties the public schema's
 * data (schema kept, sequences restarted), deletes the configured test users (their memberships
 * cascade; other users stay) and seeds them and their data afresh. Any failure rolls the whole
 * transaction back, so the database is as it was; the backup stays.
 */
export async function resetTestData(
  databaseUrl: string,
  config: TestUsersConfig,
  options: ResetOptions,
): Promise<ResetResult> {
  const started = Date.now();
  options.onStep?.("backup");
  const { file } = await backupDatabase(databaseUrl, { backupsDir: options.backupsDir });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Triggers fired by the seed may call extension functions unqualified, as the project's own do.
    await useProjectSearchPath(client);
    const done = await withTransaction(client, {}, async () => {
      options.onStep?.("truncate");
      const truncated = await truncateSchema(client, "public");
      options.onStep?.("users");
      const removedUsers = await removeTestUsers(client, config.users);
      options.onStep?.("seed");
      const seeded = await seedTestUsers(client, config, { hashCost: options.hashCost, seed: options.seed });
      await options.beforeCommit?.(client);
      return { truncated, removedUsers, seeded };
    });
    return { backupFile: file, ...done, durationMs: Date.now() - started };
  } catch (error) {
    throw new ResetFailedError((error as Error).message, file);
  } finally {
    await client.end();
  }
}
