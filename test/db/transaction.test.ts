import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommitThenThrow, withClient, withTransaction } from "../../src/db/transaction.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("platform");
  pool = new pg.Pool({ connectionString: database.adminUrl, max: 2 });
  pool.on("error", () => {});
  await pool.query("create table public.notes (body text not null)");
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function bodies(): Promise<string[]> {
  return (await pool.query<{ body: string }>("select body from public.notes order by body")).rows.map(
    (row) => row.body,
  );
}

describe("withTransaction", () => {
  it("commits what the function did, on a pool", async () => {
    const result = await withTransaction(pool, {}, async (client) => {
      await client.query("insert into public.notes values ('héllo 👋')");
      return "done";
    });
    expect(result).toBe("done");
    expect(await bodies()).toContain("héllo 👋");
  });

  it("rolls back and rethrows when the function throws", async () => {
    const failure = new Error("stop");
    await expect(
      withTransaction(pool, {}, async (client) => {
        await client.query("insert into public.notes values ('不要')");
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await bodies()).not.toContain("不要");
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it("uses a given client, and leaves it to its owner", async () => {
    await withClient(pool, async (client) => {
      await expect(
        withTransaction(client, {}, async (tx) => {
          await tx.query("insert into public.notes values ('rolled back')");
          await tx.query("select 1/0");
        }),
      ).rejects.toThrow(/division by zero/);
      // The client is usable again, outside any transaction.
      const { rows } = await client.query<{ status: string }>("select 'idle' as status");
      expect(rows[0]?.status).toBe("idle");
      await withTransaction(client, {}, (tx) => tx.query("insert into public.notes values ('kept')"));
    });
    expect(await bodies()).toEqual(expect.arrayContaining(["kept"]));
    expect(await bodies()).not.toContain("rolled back");
  });

  it("opens read-only and at the isolation level asked for", async () => {
    const settings = await withTransaction(
      pool,
      { readOnly: true, isolation: "serializable" },
      async (client) => {
        const { rows } = await client.query<{ ro: string; iso: string }>(
          "select current_setting('transaction_read_only') as ro, current_setting('transaction_isolation') as iso",
        );
        return rows[0];
      },
    );
    expect(settings).toEqual({ ro: "on", iso: "serializable" });
    await expect(
      withTransaction(pool, { readOnly: true }, (client) =>
        client.query("insert into public.notes values ('x')"),
      ),
    ).rejects.toThrow(/read-only transaction/);
  });

  it("commits, then throws, on CommitThenThrow", async () => {
    const reason = new Error("revoked");
    await expect(
      withTransaction(pool, {}, async (client) => {
        await client.query("insert into public.notes values ('committed anyway')");
        throw new CommitThenThrow(reason);
      }),
    ).rejects.toBe(reason);
    expect(await bodies()).toContain("committed anyway");
  });

  it("destroys a connection whose rollback failed instead of pooling it", async () => {
    const failure = await withTransaction(pool, {}, async (client) => {
      client.on("error", () => {}); // the termination notice, which also fails the statements below
      const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      // Another session ends this connection: the statement and the ROLLBACK both fail.
      await database.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
      await client.query("select 1");
    }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    // The pool works on a fresh connection.
    const { rows } = await pool.query<{ one: number }>("select 1 as one");
    expect(rows[0]?.one).toBe(1);
  });
});
