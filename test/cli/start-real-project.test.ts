import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";

/**
 * What stopped real Supabase projects from starting: a migration that calls extension functions
 * unqualified on the first start and after `db reset`, and a seed full of non-ASCII text (a
 * country list, box drawing in comments, an em dash in a RAISE message).
 */
const MIGRATION = `-- ╔══════════════════════════╗
-- ║ Countries — 国 — دول 👋  ║
-- ╚══════════════════════════╝
create table public.countries (
  id uuid primary key default uuid_generate_v4(),
  code text not null unique,
  name text not null,
  token text not null default encode(gen_random_bytes(8), 'hex'),
  ref uuid not null default gen_random_uuid(),
  secret text
);
create function public.check_country() returns trigger language plpgsql as $$
begin
  if new.name = '' then raise exception 'A country needs a name — «%»', new.code; end if;
  new.secret := crypt(new.code, gen_salt('bf', 4));
  return new;
end $$;
create trigger check_country before insert on public.countries for each row execute function public.check_country();
`;
const SEED = `-- Åland, Curaçao and friends 🌍
insert into public.countries (code, name) values
  ('AX', 'Åland'),
  ('CW', 'Curaçao'),
  ('JP', '日本'),
  ('EG', 'مصر'),
  ('IL', 'ישראל');
insert into public.countries (code, name) values ('RE', 'La Réunion 🇷🇪');
`;
const EXPECTED = [
  { code: "AX", name: "Åland" },
  { code: "CW", name: "Curaçao" },
  { code: "EG", name: "مصر" },
  { code: "IL", name: "ישראל" },
  { code: "JP", name: "日本" },
  { code: "RE", name: "La Réunion 🇷🇪" },
];

describe("start and db reset of a project with unqualified extension calls and a non-ASCII seed", () => {
  let project: TempProject;
  let env: Record<string, string>;
  beforeAll(async () => {
    project = tempProject({ configToml: 'project_id = "countries"\n' });
    project.write("supabase/migrations/20250101000000_countries.sql", MIGRATION);
    project.write("supabase/seed.sql", SEED);
    env = {
      GROUNDWORK_API_PORT: String(await freePort()),
      GROUNDWORK_DB_PORT: String(await freePort()),
      GROUNDWORK_MAIL_PORT: String(await freePort()),
    };
  });
  afterAll(async () => {
    await runCli(["stop", "--workdir", project.dir], env);
    project.remove();
  });

  async function countries(): Promise<unknown[]> {
    const client = new pg.Client({
      connectionString: `postgresql://postgres:postgres@127.0.0.1:${env.GROUNDWORK_DB_PORT}/postgres`,
    });
    await client.connect();
    try {
      const { rows } = await client.query(
        "select code, name from public.countries where secret like '$2%' and length(token) = 16 order by code",
      );
      return rows;
    } finally {
      await client.end();
    }
  }

  it("applies the migration and the seed exactly on the first start, and again on db reset", async () => {
    const started = await runCli(["start", "--detach", "--workdir", project.dir], env, 120_000);
    expect(started.stderr).not.toContain("Error");
    expect(started.code).toBe(0);
    expect(await countries()).toEqual(EXPECTED);

    const reset = await runCli(["db", "reset", "--workdir", project.dir], env, 120_000);
    expect(reset.stderr).not.toContain("Error");
    expect(reset.code).toBe(0);
    expect(await countries()).toEqual(EXPECTED);
  });
});
