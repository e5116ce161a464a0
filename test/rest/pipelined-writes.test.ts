import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../harness/server.js";
import { type GrammarServer, rest, startGrammarServer } from "./helpers.js";

/**
 * Writes run their settings, statement and transaction end under as few Syncs as allowed
 * (src/db/pipelined-write.ts). These guard what BEGIN ... COMMIT guaranteed: all or nothing,
 * as the caller, deferred constraints checked, tx=rollback and failed checks leaving nothing,
 * and a connection that is clean for the next request after any of them.
 */
const FIXTURE = `
create table public.ledger (
  id int primary key,
  note text not null,
  written_by text not null default current_user,
  claimed_sub text default current_setting('request.jwt.claims', true)::json->>'role'
);
create table public.parents (id int primary key);
create table public.children (
  id int primary key,
  parent_id int references public.parents (id) deferrable initially deferred
);
create function public.write_and_fail(n int) returns int language plpgsql as $$
begin
  insert into public.ledger (id, note) values (n, 'from a function');
  if n > 100 then raise exception 'too large: %', n; end if;
  return n;
end $$;
do $$ begin
  execute format('alter role authenticator in database %I set pgrst.db_tx_end = %L', current_database(), 'commit-allow-override');
end $$;
`;

describe("pipelined writes keep the transaction's guarantees", () => {
  let grammar: GrammarServer;
  let server: TestServer;
  const count = async (sql: string) =>
    Number((await server.database.query<{ n: string }>(`select count(*) as n from ${sql}`)).rows[0]?.n);

  beforeAll(async () => {
    grammar = await startGrammarServer(FIXTURE, "/ledger?limit=0");
    server = grammar.server;
  });
  afterAll(async () => {
    await grammar.close();
  });

  const post = (path: string, body: string, prefer = "") =>
    rest(server, path, { method: "POST", body, token: server.serviceRoleKey, headers: { prefer } });

  it("runs as the caller with the request's settings", async () => {
    const response = await post(
      "/ledger?select=written_by,claimed_sub",
      `{"id":1,"note":"première ✍️"}`,
      "return=representation",
    );
    expect(response.status).toBe(201);
    expect(response.json).toEqual([{ written_by: "service_role", claimed_sub: "service_role" }]);
  });

  it("a failing row rolls back the whole bulk insert", async () => {
    const response = await post("/ledger", `[{"id":2,"note":"a"},{"id":1,"note":"dup"}]`);
    expect(response.status).toBe(409);
    expect(await count("ledger where id = 2")).toBe(0);
  });

  it("a deferred constraint failing at the commit rolls back and is reported", async () => {
    const response = await post("/children", `{"id":1,"parent_id":99}`);
    expect(response.status).toBe(409);
    expect((response.json as { code: string }).code).toBe("23503");
    expect(await count("children")).toBe(0);
  });

  it("tx=rollback answers as if committed and leaves nothing", async () => {
    const response = await post(
      "/ledger?select=id,note",
      `{"id":3,"note":"fantôme"}`,
      "tx=rollback, return=representation",
    );
    expect(response.status).toBe(201);
    expect(response.json).toEqual([{ id: 3, note: "fantôme" }]);
    expect(await count("ledger where id = 3")).toBe(0);
  });

  it("tx=rollback still reports a deferred constraint", async () => {
    const response = await post("/children", `{"id":2,"parent_id":98}`, "tx=rollback");
    expect(response.status).toBe(409);
    expect(await count("children")).toBe(0);
  });

  it("a failed single-object check rolls the write back", async () => {
    const response = await rest(server, "/ledger?select=id", {
      method: "POST",
      token: server.serviceRoleKey,
      headers: { prefer: "return=representation", accept: "application/vnd.pgrst.object+json" },
      body: `[{"id":4,"note":"x"},{"id":5,"note":"y"}]`,
    });
    expect(response.status).toBe(406);
    expect(await count("ledger where id in (4, 5)")).toBe(0);
  });

  it("a passing single-object check commits", async () => {
    const response = await rest(server, "/ledger?select=id", {
      method: "POST",
      token: server.serviceRoleKey,
      headers: { prefer: "return=representation", accept: "application/vnd.pgrst.object+json" },
      body: `{"id":6,"note":"z"}`,
    });
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ id: 6 });
    expect(await count("ledger where id = 6")).toBe(1);
  });

  it("max-affected with handling=strict rolls back an update over the cap", async () => {
    await post("/ledger", `[{"id":7,"note":"cap"},{"id":8,"note":"cap"}]`);
    const response = await rest(server, "/ledger?note=eq.cap", {
      method: "PATCH",
      token: server.serviceRoleKey,
      headers: { prefer: "handling=strict, max-affected=1" },
      body: `{"note":"capped"}`,
    });
    expect(response.status).toBe(400);
    expect(await count("ledger where note = 'capped'")).toBe(0);
  });

  it("a volatile function's writes are rolled back with its error, and kept without one", async () => {
    const failed = await post("/rpc/write_and_fail", `{"n":101}`);
    expect(failed.status).toBe(400);
    expect(await count("ledger where id = 101")).toBe(0);
    const ok = await post("/rpc/write_and_fail", `{"n":10}`);
    expect(ok.json).toBe(10);
    expect(await count("ledger where id = 10")).toBe(1);
  });

  it("leaves every pooled connection clean after failures of each kind", async () => {
    const failures = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0
        ? post("/ledger", `{"id":1,"note":"dup"}`, "tx=rollback")
        : i % 3 === 1
          ? post("/children", `{"id":${50 + i},"parent_id":97}`)
          : post("/rpc/write_and_fail", `{"n":${200 + i}}`),
    );
    for (const response of await Promise.all(failures)) expect(response.status).toBeGreaterThanOrEqual(400);
    const writes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post("/ledger", `{"id":${1000 + i},"note":"après ${i} 🎉"}`)),
    );
    for (const response of writes) expect(response.status).toBe(201);
    expect(await count("ledger where id >= 1000")).toBe(12);
    const read = await rest(server, "/ledger?id=eq.1&select=note", { token: server.serviceRoleKey });
    expect(read.json).toEqual([{ note: "première ✍️" }]);
  });
});
