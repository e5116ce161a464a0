import type pg from "pg";

/**
 * The settings that change how values print as text (and how money parses). Backup, restore and
 * checksums all run with these, so the same rows give the same bytes — and the same checksum — on
 * any server, whatever its time zone, date style or locale.
 */
export const OUTPUT_SETTINGS: Readonly<Record<string, string>> = {
  TimeZone: "UTC",
  DateStyle: "ISO, YMD",
  IntervalStyle: "postgres",
  extra_float_digits: "1",
  bytea_output: "hex",
  lc_monetary: "C",
  client_encoding: "UTF8",
};

/** Applies {@link OUTPUT_SETTINGS} to the session (for connections the caller owns and closes). */
export async function applyOutputSettings(client: pg.ClientBase): Promise<void> {
  await setAll(client, OUTPUT_SETTINGS);
}

/**
 * Runs `fn` with {@link OUTPUT_SETTINGS} applied and puts the session's own values back afterwards,
 * for functions that borrow a caller's connection.
 */
export async function withOutputSettings<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  const names = Object.keys(OUTPUT_SETTINGS);
  const { rows } = await client.query<{ values: string[] }>(
    "select array(select current_setting(name) from unnest($1::text[]) with ordinality as s(name, i) order by i) as values",
    [names],
  );
  const previous = Object.fromEntries(names.map((name, i) => [name, rows[0]?.values[i] ?? ""]));
  await applyOutputSettings(client);
  try {
    return await fn();
  } finally {
    // In a transaction that failed this errors, and the rollback puts the values back anyway.
    await setAll(client, previous).catch(() => {});
  }
}

async function setAll(client: pg.ClientBase, settings: Readonly<Record<string, string>>): Promise<void> {
  await client.query(
    "select set_config(name, value, false) from unnest($1::text[], $2::text[]) as s(name, value)",
    [Object.keys(settings), Object.values(settings)],
  );
}
