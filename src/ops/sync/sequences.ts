import type pg from "pg";
import { quoteQualified } from "../../db/sql.js";

interface SequenceValue {
  readonly schema: string;
  readonly name: string;
  /** Null when nextval was never called. */
  readonly lastValue: string | null;
}

/**
 * Sets each `public` sequence on the target (identity and serial columns included) to its local
 * value, so the next id handed out on the target is the next one local would hand out. A sequence
 * the target lacks is skipped (the plan has already compared the tables).
 */
export async function copySequences(local: pg.ClientBase, target: pg.ClientBase): Promise<number> {
  const { rows } = await local.query<SequenceValue>(
    `select schemaname as schema, sequencename as name, last_value::text as "lastValue"
     from pg_sequences where schemaname = 'public' order by 2`,
  );
  let set = 0;
  for (const sequence of rows) {
    const name = quoteQualified(sequence.schema, sequence.name);
    const { rows: found } = await target.query<{ start: string | null }>(
      `select (select start_value::text from pg_sequences where schemaname = $1 and sequencename = $2) as start`,
      [sequence.schema, sequence.name],
    );
    const start = found[0]?.start;
    if (start === null || start === undefined) continue;
    if (sequence.lastValue === null) {
      await target.query("select setval($1::regclass, $2::bigint, false)", [name, start]);
    } else {
      await target.query("select setval($1::regclass, $2::bigint, true)", [name, sequence.lastValue]);
    }
    set++;
  }
  return set;
}
