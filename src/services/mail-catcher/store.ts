import type pg from "pg";
import { searchSql } from "./search.js";

/** One message of the outbox as the catcher reads it. */
export interface StoredMessage {
  readonly id: string;
  readonly created_at: Date;
  readonly kind: string;
  readonly to_address: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly read: boolean;
}

const COLUMNS = "m.id::text as id, m.created_at, m.kind, m.to_address, m.subject, m.html, m.text, m.read";

/** Newest first, with the number of all messages and of unread ones, optionally filtered by a search. */
export async function listMessages(
  pool: pg.Pool,
  options: { readonly start: number; readonly limit: number; readonly search?: string },
): Promise<{
  messages: StoredMessage[];
  total: number;
  unread: number;
  matching: number;
  matchingUnread: number;
}> {
  const filter = searchSql(options.search ?? "", 3);
  const { rows } = await pool.query<StoredMessage & { matching: string; matching_unread: string }>(
    `select ${COLUMNS}, count(*) over () as matching, count(*) filter (where not m.read) over () as matching_unread
     from groundwork.mail_outbox m where ${filter.where}
     order by m.id desc offset $1 limit $2`,
    [options.start, options.limit, ...filter.params],
  );
  const totals = await pool.query<{ total: string; unread: string }>(
    "select count(*) as total, count(*) filter (where not read) as unread from groundwork.mail_outbox",
  );
  const first = rows[0];
  return {
    messages: rows,
    total: Number(totals.rows[0]?.total ?? 0),
    unread: Number(totals.rows[0]?.unread ?? 0),
    matching: first ? Number(first.matching) : 0,
    matchingUnread: first ? Number(first.matching_unread) : 0,
  };
}

/** One message (`latest` for the newest), marked read as Mailpit marks an opened message. */
export async function openMessage(pool: pg.Pool, id: string): Promise<StoredMessage | null> {
  const where = id === "latest" ? "m.id = (select max(id) from groundwork.mail_outbox)" : "m.id = $1::bigint";
  if (id !== "latest" && !/^\d{1,18}$/.test(id)) return null;
  const { rows } = await pool.query<StoredMessage>(
    `update groundwork.mail_outbox m set read = true where ${where} returning ${COLUMNS}`,
    id === "latest" ? [] : [id],
  );
  return rows[0] ?? null;
}

/** Deletes the messages with these ids, or every message when none are given. */
export async function deleteMessages(pool: pg.Pool, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) {
    await pool.query("delete from groundwork.mail_outbox");
    return;
  }
  const numeric = ids.filter((id) => /^\d{1,18}$/.test(id));
  await pool.query("delete from groundwork.mail_outbox where id = any($1::bigint[])", [numeric]);
}

/** Deletes the messages a search matches. */
export async function deleteSearch(pool: pg.Pool, search: string): Promise<void> {
  const filter = searchSql(search, 1);
  await pool.query(`delete from groundwork.mail_outbox m where ${filter.where}`, filter.params);
}

/** Sets the read flag of these messages, or of all. */
export async function setRead(pool: pg.Pool, ids: readonly string[], read: boolean): Promise<void> {
  const numeric = ids.filter((id) => /^\d{1,18}$/.test(id));
  await pool.query(
    ids.length === 0
      ? "update groundwork.mail_outbox set read = $1"
      : "update groundwork.mail_outbox set read = $1 where id = any($2::bigint[])",
    ids.length === 0 ? [read] : [read, numeric],
  );
}
