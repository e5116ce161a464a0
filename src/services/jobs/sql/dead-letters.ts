import type pg from "pg";
import type { DeadLetter } from "../types.js";

/** Dead letters, oldest first. */
export async function listDeadLetters(client: pg.ClientBase | pg.Pool, limit = 1000): Promise<DeadLetter[]> {
  const { rows } = await client.query<DeadLetter>(
    `select id::text as "id", request_id::text as "requestId", method, url, attempts,
            last_error as "lastError", last_status as "lastStatus",
            to_char(queued_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "queuedAt",
            to_char(failed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "failedAt"
       from groundwork.http_dead_letters order by id limit $1`,
    [limit],
  );
  return rows;
}

/** Queues dead letters again (all of them when `ids` is null); returns how many. */
export async function replayDeadLetters(
  client: pg.ClientBase | pg.Pool,
  ids: readonly string[] | null,
): Promise<number> {
  const { rows } = await client.query<{ replayed: number }>(
    "select groundwork.replay_http_dead_letters($1::bigint[]) as replayed",
    [ids],
  );
  return rows[0]?.replayed ?? 0;
}
