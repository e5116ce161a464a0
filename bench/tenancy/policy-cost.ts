/**
 * What the policies groundwork.protect() writes cost inside PostgreSQL, without HTTP: the
 * example project's public.contacts (28,000 rows) read by primary key and as a 100-row page, by
 * the tenant admin (tenant scope) and the account manager (own scope), with row-level security
 * on and off. Each statement runs in a transaction of its own (a procedure that commits after
 * every statement), as a data API request does, so per-transaction costs count. Server time only,
 * so it is far less noisy than bench/tenancy/rls-overhead.ts on a shared machine.
 * RLS on is measured twice: with the tenant scope the data API passes (request.tenant_role and
 * the owned keys, from its memory; src/db/tenant-scope.ts), and without it, when the helpers look
 * the membership and the owned rows up themselves (SQL clients, another API in front).
 *
 *   npx tsx bench/tenancy/policy-cost.ts [statements] [rounds]
 */
import pg from "pg";
import { readTenantScope } from "../../src/db/tenant-scope.js";
import { startExampleDatabase } from "../example-database.js";

const STATEMENTS = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 3);
const ACME = "00000000-0000-4000-8000-00000000a001";

const example = await startExampleDatabase();
const client = new pg.Client({ connectionString: example.adminUrl });
try {
  await client.connect();
  await client.query(`
    insert into public.contacts (tenant_id, first_name, last_name, email, status, sales_id)
    select s.tenant_id, 'First' || g, 'Last' || g, 'c' || g || '@example.com', 'cold', s.id
    from generate_series(1, 7000) g cross join public.sales s
    order by g, s.id;
    create procedure public.bench_pk(n int, target bigint) language plpgsql as $$
    declare row record;
    begin
      for i in 1..n loop select * into row from public.contacts where id = target; commit; end loop;
    end $$;
    create procedure public.bench_page(n int) language plpgsql as $$
    declare total int;
    begin
      for i in 1..n loop
        select count(*) into total from (select id, first_name from public.contacts order by id limit 100) page;
        commit;
      end loop;
    end $$;
    -- The same rows with RLS off: the filter an app would need without row-level security.
    create procedure public.bench_page_of_tenant(n int, tenant uuid) language plpgsql as $$
    declare total int;
    begin
      for i in 1..n loop
        select count(*) into total from (
          select id, first_name from public.contacts where tenant_id = tenant order by id limit 100) page;
        commit;
      end loop;
    end $$;
    create procedure public.bench_page_of_owner(n int, owner uuid) language plpgsql as $$
    declare total int;
    begin
      for i in 1..n loop
        select count(*) into total from (
          select id, first_name from public.contacts where sales_id = owner order by id limit 100) page;
        commit;
      end loop;
    end $$;
    grant execute on procedure public.bench_pk(int, bigint), public.bench_page(int),
      public.bench_page_of_tenant(int, uuid), public.bench_page_of_owner(int, uuid) to authenticated;`);
  // Hint bits, visibility map and statistics as a table in use has them (the first measurement
  // would otherwise pay for setting them).
  await client.query("vacuum (analyze) public.contacts");
  // A contact every caller may read: one of the account manager's.
  const target = await client.query<{ id: string }>(
    `select c.id from public.contacts c join public.sales s on s.id = c.sales_id
     where s.email = 'manager@test.local' order by c.id desc limit 1`,
  );
  const callers = await client.query<{ email: string; id: string; role: string; sales_id: string }>(
    `select u.email, u.id, m.role, s.id as sales_id
     from auth.users u join groundwork.memberships m on m.user_id = u.id join public.sales s on s.user_id = u.id
     where u.email in ('admin@test.local', 'manager@test.local') order by u.email`,
  );

  /** Microseconds per statement: the best of ROUNDS runs of `call`. */
  async function time(call: string, values: unknown[], statements: number): Promise<number> {
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      await client.query(call, values);
      best = Math.min(best, ((performance.now() - started) * 1000) / statements);
    }
    return best;
  }

  console.log(
    `\nPolicy cost inside PostgreSQL: public.contacts, ${STATEMENTS} statements per run, one transaction each, best of ${ROUNDS}\n`,
  );
  console.log("caller            RLS                     PK µs   100-row page µs   same rows, RLS off µs");
  for (const caller of callers.rows) {
    const scope = await readTenantScope(client, caller.id, ACME);
    const modes = [
      { label: "off", rls: false, scope: false },
      { label: "on, API's scope", rls: true, scope: true },
      { label: "on, helpers look up", rls: true, scope: false },
    ];
    for (const mode of modes) {
      await client.query(`alter table public.contacts ${mode.rls ? "enable" : "disable"} row level security`);
      // The settings the data API makes (session-wide here, since the procedure commits).
      const claims = {
        sub: caller.id,
        role: "authenticated",
        aud: "authenticated",
        app_metadata: { provider: "email", tenant_id: ACME, tenant_role: caller.role },
      };
      const settings: [string, string][] = [
        ["request.jwt.claims", JSON.stringify(claims)],
        ["request.jwt.claim.sub", caller.id],
        ["request.tenant_id", ACME],
        ["search_path", "public, extensions"],
        // Without the API's scope: '' is what an unset setting reads once it has existed.
        ["request.membership_checked", mode.scope ? "on" : ""],
        ["request.tenant_role", mode.scope ? (scope.role ?? "") : ""],
        ...Object.entries(scope.owned).map(([helper, keys]): [string, string] => [
          `request.${helper}`,
          mode.scope ? `{${keys.join(",")}}` : "",
        ]),
      ];
      for (const [name, value] of settings)
        await client.query("select set_config($1, $2, false)", [name, value]);
      await client.query("set role authenticated");
      await client.query("call public.bench_pk(200, $1)", [target.rows[0]?.id]);
      const pk = await time("call public.bench_pk($1, $2)", [STATEMENTS, target.rows[0]?.id], STATEMENTS);
      await client.query("call public.bench_page(50)");
      const pages = Math.max(1, Math.round(STATEMENTS / 5));
      const page = await time("call public.bench_page($1)", [pages], pages);
      // What the policy shows this caller: the tenant's rows for tenant scope, their own for own.
      const [procedure, key] =
        caller.role === "admin" ? ["bench_page_of_tenant", ACME] : ["bench_page_of_owner", caller.sales_id];
      const sameRows = mode.rls
        ? ""
        : (await time(`call public.${procedure}($1, $2)`, [pages, key], pages)).toFixed(1);
      await client.query("reset role");
      console.log(
        `${caller.role.padEnd(18)}${mode.label.padEnd(22)}${pk.toFixed(1).padStart(7)}  ${page.toFixed(1).padStart(16)}  ${sameRows.padStart(22)}`,
      );
    }
  }
} finally {
  await client.end();
  await example.stop();
}
