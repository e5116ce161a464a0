import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness/server.js";
import { GRAMMAR_FIXTURE } from "./fixtures.js";
import { rest, untilServed } from "./helpers.js";

// In-database config (ALTER ROLE authenticator SET pgrst.*), role settings, execution-model
// settings, the schema-cache reload and PostgREST's JWT errors.
describe("configuration, execution model and credentials", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ template: "platform" });
    const db = server.database.name;
    await server.database.query(GRAMMAR_FIXTURE);
    await server.database.query(`
      create function public.check_request() returns void language plpgsql as $$
      begin
        if current_setting('request.headers', true)::json->>'x-blocked' = 'yes' then
          raise sqlstate 'PT403' using message = 'blocked by pre-request';
        end if;
        perform set_config('response.headers', '[{"X-Pre-Request":"ran"}]', true);
      end $$;
      create function public.settings() returns json language sql stable as $$
        select json_build_object(
          'role', current_user,
          'method', current_setting('request.method', true),
          'path', current_setting('request.path', true),
          'sub', current_setting('request.jwt.claims', true)::json->>'sub',
          'legacy_sub', current_setting('request.jwt.claim.sub', true),
          'search_path', current_setting('search_path'),
          'timezone', current_setting('timezone'),
          'work_mem', current_setting('work_mem'),
          'header', current_setting('request.headers', true)::json->>'x-probe')
      $$;
      alter role authenticator in database ${db} set pgrst.db_aggregates_enabled = 'true';
      alter role authenticator in database ${db} set pgrst.db_pre_request = 'public.check_request';
      alter role authenticator in database ${db} set pgrst.db_tx_end = 'commit-allow-override';
      alter role authenticator in database ${db} set pgrst.db_max_rows = '3';
      alter role service_role in database ${db} set work_mem = '5MB';
      notify pgrst, 'reload schema';`);
    await untilServed(server, "/rpc/settings");
  });
  afterAll(async () => {
    await server.close();
  });

  it("sets PostgREST's transaction settings, the role's own settings and the timezone", async () => {
    const response = await rest(server, "/rpc/settings", {
      token: server.serviceRoleKey,
      headers: { "x-probe": "hello", prefer: "timezone=Asia/Tokyo" },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      role: "service_role",
      method: "GET",
      path: "/rpc/settings",
      search_path: '"public", "public", "extensions"',
      timezone: "Asia/Tokyo",
      work_mem: "5MB",
      header: "hello",
    });
    expect(response.headers.get("preference-applied")).toBe("timezone=Asia/Tokyo");
    const token = await new SignJWT({ sub: "user-1", role: "authenticated" })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(server.config.jwt.secret));
    const user = await rest(server, "/rpc/settings", { token });
    expect(user.json).toMatchObject({ role: "authenticated", sub: "user-1", legacy_sub: "user-1" });
  });

  it("runs db-pre-request before the main statement; it may refuse or set headers", async () => {
    const allowed = await rest(server, "/directors?select=id&id=eq.1", { token: server.serviceRoleKey });
    expect(allowed.headers.get("x-pre-request")).toBe("ran");
    const blocked = await rest(server, "/directors", {
      token: server.serviceRoleKey,
      headers: { "x-blocked": "yes" },
    });
    expect(blocked.status).toBe(403);
    expect(blocked.json).toMatchObject({ code: "PT403", message: "blocked by pre-request" });
  });

  it("aggregates when db_aggregates_enabled is on, grouping by the other columns", async () => {
    const response = await rest(server, "/films?select=director_id,count(),rating.max()&order=director_id", {
      token: server.serviceRoleKey,
    });
    expect(response.json).toEqual([
      { director_id: 1, count: 2, max: 8.1 },
      { director_id: 2, count: 2, max: 8.3 },
    ]);
    const unknown = await rest(server, "/directors?select=name,films(title.sum())", {
      token: server.serviceRoleKey,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: "42883" });
    const counted = await rest(server, "/directors?select=name,films(count())&id=eq.1", {
      token: server.serviceRoleKey,
    });
    expect(counted.json).toEqual([{ name: "Agnes Varda", films: [{ count: 2 }] }]);
  });

  it("db_max_rows caps the page and exact counts still count everything", async () => {
    const response = await rest(server, "/films?select=id", {
      token: server.serviceRoleKey,
      headers: { prefer: "count=exact" },
    });
    expect((response.json as unknown[]).length).toBe(3);
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe("0-2/4");
  });

  it("tx=rollback is honoured with commit-allow-override", async () => {
    const response = await rest(server, "/actors?select=id", {
      method: "POST",
      token: server.serviceRoleKey,
      headers: { prefer: "tx=rollback, return=representation" },
      body: `{"id":77,"name":"ghost"}`,
    });
    expect(response.status).toBe(201);
    expect(response.json).toEqual([{ id: 77 }]);
    expect(response.headers.get("preference-applied")).toBe("return=representation, tx=rollback");
    expect((await server.database.query("select * from actors where id = 77")).rows).toEqual([]);
  });

  it("reloads the schema cache after DDL (event trigger -> NOTIFY pgrst)", async () => {
    const before = await rest(server, "/late_table", { token: server.serviceRoleKey });
    expect(before.status).toBe(404);
    await server.database.query(
      "create table public.late_table (id int primary key); insert into late_table values (1)",
    );
    await untilServed(server, "/late_table");
    const after = await rest(server, "/late_table", { token: server.serviceRoleKey });
    expect(after.json).toEqual([{ id: 1 }]);
  });

  it("re-opens a dropped LISTEN connection and reloads", async () => {
    // The server's one LISTEN connection (pgrst and groundwork_scope).
    const killed = await server.database.query(
      "select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and query like 'listen %'",
    );
    expect(killed.rows).toEqual([{ ok: true }]);
    await server.database.query("create table public.after_drop (id int primary key)");
    await untilServed(server, "/after_drop");
    const response = await rest(server, "/after_drop", { token: server.serviceRoleKey });
    expect(response.status).toBe(200);
    const listening = await server.database.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'listen %pgrst%'",
    );
    expect(listening.rows).toEqual([{ n: 1 }]);
  });

  describe("JWT errors are PostgREST's 401", () => {
    const secret = () => new TextEncoder().encode(server.config.jwt.secret);
    const expectInvalid = async (token: string, code: string, message: string) => {
      const response = await rest(server, "/directors", { token, headers: { apikey: token } });
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ code, message, details: null, hint: null });
      expect(response.headers.get("www-authenticate")).toBe(
        `Bearer error="invalid_token", error_description="${message}"`,
      );
    };

    it("expired", async () => {
      const token = await new SignJWT({ role: "authenticated" })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
        .sign(secret());
      await expectInvalid(token, "PGRST303", "JWT expired");
    });

    it("wrongly signed", async () => {
      const token = await new SignJWT({ role: "service_role" })
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode("x".repeat(40)));
      await expectInvalid(token, "PGRST301", "JWT cryptographic operation failed");
    });

    it("alg none", async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const token = `${encode({ alg: "none", typ: "JWT" })}.${encode({ role: "service_role" })}.`;
      await expectInvalid(token, "PGRST301", "Wrong or unsupported encoding algorithm");
    });

    it("a role that does not exist is 401 22023", async () => {
      const token = await new SignJWT({ role: "nobody_here" })
        .setProtectedHeader({ alg: "HS256" })
        .sign(secret());
      const response = await rest(server, "/directors", { token });
      expect(response.status).toBe(401);
      expect(response.json).toMatchObject({ code: "22023", message: 'role "nobody_here" does not exist' });
    });
  });
});
