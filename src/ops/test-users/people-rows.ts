import { faker } from "@faker-js/faker/locale/en";
import type pg from "pg";
import { quoteIdent } from "../../db/sql.js";
import { writtenColumns } from "../seed-data/columns.js";
import { insertRows } from "../seed-data/insert.js";
import type { TableScope } from "../seed-data/scope.js";
import { columnValue, rowContext } from "../seed-data/values.js";
import type { SeededUser } from "./types.js";
import { uuidV5 } from "./uuid-v5.js";

/** A people table that owner columns point at (public.sales in the example CRM). */
interface PeopleTable {
  readonly table: string;
  readonly keyColumn: string;
  readonly userColumn: string;
  readonly tenantColumn: string | null;
}

/** People tables named by the scopes' owner columns, each once. */
export function peopleTables(scopes: readonly TableScope[]): PeopleTable[] {
  const tables = new Map<string, PeopleTable>();
  for (const { owner } of scopes) {
    if (owner?.kind === "people") tables.set(owner.table, owner);
  }
  return [...tables.values()];
}

/**
 * Makes sure each user has a row in each people table in the test tenant (a seed.sql row is
 * adopted as it is) and returns each user's key there, per table: what "own" rows point at. A new
 * row takes the user's name and email where the table has such columns.
 */
export async function ensurePeopleRows(
  client: pg.ClientBase,
  tables: readonly PeopleTable[],
  scopes: ReadonlyMap<string, TableScope>,
  users: readonly SeededUser[],
  tenantId: string,
  now: Date,
): Promise<{ keys: Map<string, Map<string, string>>; created: Map<string, number> }> {
  const keys = new Map<string, Map<string, string>>(users.map((user) => [user.id, new Map()]));
  const created = new Map<string, number>();
  for (const people of tables) {
    const scope = scopes.get(people.table);
    if (!scope) throw new Error(`owner table ${people.table} is not a table of the public schema`);
    let existing = await readKeys(client, people, users, tenantId);
    const missing = users.filter((user) => !existing.has(user.id));
    if (missing.length > 0) {
      // A uuid key is derived from the table, tenant and email, so a reset makes the same rows.
      const key = scope.shape.columns.find(
        (c) => c.name === people.keyColumn && c.baseType === "uuid" && !c.generated,
      );
      const columns = writtenColumns(scope);
      if (key && !columns.includes(key)) columns.unshift(key);
      const rows = missing.map((user) => {
        const [first = user.fullName, ...rest] = user.fullName.split(" ");
        faker.seed([...user.email].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 7));
        const context = {
          ...rowContext(scope.shape, faker, 0, now),
          firstName: first,
          lastName: rest.join(" ") || first,
        };
        return columns.map((column) => {
          if (column === key) return uuidV5(`${people.table}:${tenantId}:${user.email.toLowerCase()}`);
          if (column.name === people.userColumn) return user.id;
          if (column.name === people.tenantColumn || column.name === scope.tenantColumn) return tenantId;
          if (/e_?mail/i.test(column.name)) return user.email;
          if (/^(full_?name|display_?name|name)$/i.test(column.name)) return user.fullName;
          if (scope.shape.foreignKeys.some((fk) => fk.columns.includes(column.name))) return null;
          return columnValue(column, context);
        });
      });
      await insertRows(client, people.table, columns, rows);
      existing = await readKeys(client, people, users, tenantId);
    }
    created.set(people.table, missing.length);
    for (const [userId, key] of existing) keys.get(userId)?.set(people.table, key);
  }
  return { keys, created };
}

async function readKeys(
  client: pg.ClientBase,
  people: PeopleTable,
  users: readonly SeededUser[],
  tenantId: string,
): Promise<Map<string, string>> {
  const tenant = people.tenantColumn ? ` and ${quoteIdent(people.tenantColumn)} = $2` : "";
  const { rows } = await client.query<{ user_id: string; key: string }>(
    `select ${quoteIdent(people.userColumn)}::text as user_id, ${quoteIdent(people.keyColumn)}::text as key
     from ${people.table} where ${quoteIdent(people.userColumn)} = any($1::uuid[])${tenant}`,
    people.tenantColumn ? [users.map((u) => u.id), tenantId] : [users.map((u) => u.id)],
  );
  return new Map(rows.map((row) => [row.user_id, row.key]));
}
