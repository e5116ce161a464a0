import type pg from "pg";
import type { ClaimedRequest, SendOutcome } from "../types.js";

interface RequestRow {
  id: string;
  method: ClaimedRequest["method"];
  url: string;
  headers: Record<string, unknown>;
  body: Buffer | null;
  timeout_milliseconds: number;
  attempts: number;
  idempotency_key: string;
}

/**
 * Claims up to `limit` due requests for `worker`: rows no other process holds (SKIP LOCKED) and
 * whose lease, if any, has run out (its sender died). The lease lasts the request's timeout (or
 * `minLeaseMs`, whichever is longer) plus `marginMs`, so it never runs out during a send.
 */
export async function claimRequests(
  pool: pg.Pool,
  worker: string,
  limit: number,
  minLeaseMs: number,
  marginMs: number,
): Promise<ClaimedRequest[]> {
  const { rows } = await pool.query<RequestRow>(
    `with due as (
       select id from net.http_request_queue
        where run_at <= now() and (locked_until is null or locked_until < now())
        order by run_at, id
        limit $1
        for update skip locked)
     update net.http_request_queue q
        set locked_by = $2, attempts = q.attempts + 1,
            locked_until = now() + make_interval(secs => (greatest(q.timeout_milliseconds, $3) + $4) / 1000.0)
       from due where q.id = due.id
     returning q.id, q.method, q.url, q.headers, q.body, q.timeout_milliseconds, q.attempts, q.idempotency_key`,
    [limit, worker, minLeaseMs, marginMs],
  );
  return rows.map((row) => ({
    id: row.id,
    method: row.method,
    url: row.url,
    headers: row.headers,
    body: row.body,
    timeoutMs: row.timeout_milliseconds,
    attempts: row.attempts,
    idempotencyKey: row.idempotency_key,
  }));
}

/** One request's end: its outcome, and whether to keep it as a dead letter. */
export interface FinishedRequest {
  readonly id: string;
  readonly outcome: SendOutcome;
  readonly deadLetter: boolean;
}

/**
 * Ends requests with their outcomes, as pg_net does: each row leaves the queue and one row per
 * request goes to net._http_response; those marked `deadLetter` are also kept in
 * groundwork.http_dead_letters. One statement for many requests (a busy worker finishes hundreds a
 * second). Only rows this worker still holds are touched.
 */
export async function finishRequests(
  pool: pg.Pool,
  worker: string,
  finished: readonly FinishedRequest[],
): Promise<void> {
  await pool.query(
    `with input as (
       select * from unnest($2::bigint[], $3::int[], $4::text[], $5::jsonb[], $6::text[], $7::bool[], $8::text[], $9::bool[])
         as t(id, status_code, content_type, headers, content, timed_out, error_msg, dead)),
     gone as (
       delete from net.http_request_queue q using input
        where q.id = input.id and q.locked_by = $1
       returning q.*, input.status_code, input.content_type, input.headers as response_headers, input.content,
                 input.timed_out, input.error_msg, input.dead),
     dead as (
       insert into groundwork.http_dead_letters
         (request_id, method, url, headers, body, timeout_milliseconds, attempts, last_error, last_status,
          idempotency_key, queued_at)
       select id, method, url, headers, body, timeout_milliseconds, attempts, error_msg, status_code, idempotency_key,
              created_at
         from gone where dead)
     insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
     select id, status_code, content_type, response_headers, content, timed_out, error_msg from gone`,
    [
      worker,
      finished.map((f) => f.id),
      finished.map((f) => f.outcome.status),
      finished.map((f) => f.outcome.contentType),
      finished.map((f) => (f.outcome.headers === null ? null : JSON.stringify(f.outcome.headers))),
      finished.map((f) => f.outcome.content),
      finished.map((f) => f.outcome.timedOut),
      finished.map((f) => f.outcome.error),
      finished.map((f) => f.deadLetter),
    ],
  );
}

/** Puts requests back for another attempt after `delayMs`, noting why the last one failed. */
export async function retryRequests(
  pool: pg.Pool,
  worker: string,
  ids: readonly string[],
  delayMs: number,
  error: string,
): Promise<void> {
  await pool.query(
    `update net.http_request_queue
        set run_at = now() + make_interval(secs => $3 / 1000.0), locked_by = null, locked_until = null,
            last_error = $4
      where id = any($1::bigint[]) and locked_by = $2`,
    [ids, worker, delayMs, error],
  );
}

/** Gives requests back unsent (a rate limit or a busy destination): the claim was no attempt. */
export async function releaseRequests(
  pool: pg.Pool,
  worker: string,
  ids: readonly string[],
  delayMs: number,
): Promise<void> {
  await pool.query(
    `update net.http_request_queue
        set run_at = now() + make_interval(secs => $3 / 1000.0), locked_by = null, locked_until = null,
            attempts = greatest(attempts - 1, 0)
      where id = any($1::bigint[]) and locked_by = $2`,
    [ids, worker, delayMs],
  );
}

/** Takes one token from each bucket, or none; returns 0 when taken, else the seconds to wait. */
export async function takeTokens(
  pool: pg.Pool,
  buckets: readonly { key: string; capacity: number; perSecond: number }[],
): Promise<number> {
  const { rows } = await pool.query<{ wait: number }>(
    "select groundwork.take_http_tokens($1::text[], $2::float8[], $3::float8[]) as wait",
    [buckets.map((b) => b.key), buckets.map((b) => b.capacity), buckets.map((b) => b.perSecond)],
  );
  return rows[0]?.wait ?? 0;
}

/** Deletes responses older than `ttlSeconds`, as pg_net's `pg_net.ttl` does (6 hours there). */
export async function pruneResponses(pool: pg.Pool, ttlSeconds: number): Promise<number> {
  const result = await pool.query(
    "delete from net._http_response where created < now() - make_interval(secs => $1)",
    [ttlSeconds],
  );
  return result.rowCount ?? 0;
}
