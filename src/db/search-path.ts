import type pg from "pg";

/**
 * The search_path a Supabase project's sessions have: the caller's own schema, `public`, then
 * `extensions`, where pgcrypto and uuid-ossp live, so `uuid_generate_v4()`, `gen_random_bytes()`
 * and `crypt()` resolve unqualified.
 */
export const PROJECT_SEARCH_PATH = '"$user", public, extensions';

/**
 * Gives an open connection the project's search_path for the rest of its session. The database
 * default (`alter database ... set search_path`) reaches only connections opened after it was
 * set, so every path that runs a project's migrations or seeds on a connection it already holds
 * (start, db reset, migration up, db push, db restore, reset) sets it here first.
 */
export async function useProjectSearchPath(client: pg.ClientBase): Promise<void> {
  await client.query("select set_config('search_path', $1, false)", [PROJECT_SEARCH_PATH]);
}
