import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/index.js";
import { loadConfig } from "../../src/config/load.js";
import { withDatabase } from "../../src/db/database-url.js";
import { applyMigrations } from "../../src/migrate/apply.js";
import { readMigrationDirectory } from "../../src/migrate/files.js";
import { SUPABASE_PROVIDES } from "../../src/ops/deploy/platform.js";
import { pushMigrations } from "../../src/ops/deploy/push.js";
import { platformFiles } from "../../src/platform/apply.js";
import { withClient } from "../harness/client.js";
import { createTestDatabase, type TestDatabase } from "../harness/database.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { type RemoteCluster, startRemoteCluster } from "../harness/remote-cluster.js";

/** What `supabase db diff` / Studio write for webhooks, cron and queues, unmodified. */
const EXTENSIONS = `create extension if not exists "pg_net" with schema "extensions";
create extension if not exists "pg_cron" with schema "pg_catalog";
create schema if not exists "pgmq";
create extension if not exists "pgmq" with schema "pgmq" version '1.4.4';
`;

const TABLES = `create table public.agent_runs (
  id bigint generated always as identity primary key,
  agent text not null,
  user_id uuid
);
alter table public.agent_runs enable row level security;

create trigger "agent_runs_notify" after insert on public.agent_runs for each row
execute function supabase_functions.http_request(
  'http://127.0.0.1:54321/functions/v1/notification-dispatcher', 'POST',
  '{"Content-type":"application/json"}', '{}', '1000'
);

select cron.schedule('agent-cleanup', '*/5 * * * *', $$delete from public.agent_runs where id < 0$$);
select cron.schedule('heartbeat', '30 seconds', 'select 1');
select pgmq.create('notifications');
`;

/** Studio's "Expose Queues via PostgREST": its own pgmq_public, replacing the extension's. */
const EXPOSE_QUEUES = `create schema if not exists "pgmq_public";
grant usage on schema "pgmq_public" to "anon", "authenticated", "service_role";
set check_function_bodies = off;
CREATE OR REPLACE FUNCTION pgmq_public.archive(queue_name text, message_id bigint)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$ begin return pgmq.archive( queue_name := queue_name, msg_id := message_id ); end; $function$;
CREATE OR REPLACE FUNCTION pgmq_public.send(queue_name text, message jsonb, sleep_seconds integer DEFAULT 0)
 RETURNS SETOF bigint
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$ begin return query select * from pgmq.send( queue_name := queue_name, msg := message, delay := sleep_seconds ); end; $function$;
grant execute on function pgmq_public.send(text, jsonb, integer) to "service_role";
`;

function projectWithMigrations(): TempProject {
  const project = tempProject({ configToml: "" });
  project.write("supabase/migrations/20250101000000_extensions.sql", EXTENSIONS);
  project.write("supabase/migrations/20250101000100_agents.sql", TABLES);
  project.write("supabase/migrations/20250101000200_expose_queues.sql", EXPOSE_QUEUES);
  return project;
}

describe("Supabase migrations using pg_net, pg_cron and pgmq", () => {
  let project: TempProject;
  let config: Config;
  let local: TestDatabase;
  let remote: RemoteCluster;

  beforeAll(async () => {
    project = projectWithMigrations();
    config = await loadConfig(project.dir);
    local = await createTestDatabase("platform");
    remote = await startRemoteCluster();
  }, 120_000);
  afterAll(async () => {
    await local?.drop();
    await remote?.stop();
    project?.remove();
  });

  it("apply unmodified on Groundwork's database, with the usual schemas", async () => {
    await withClient(local.adminUrl, (client) =>
      applyMigrations(client, readMigrationDirectory(config.migrationsDir).migrations),
    );
    const { rows: extensions } = await local.query<{ extname: string; extversion: string }>(
      "select extname, extversion from pg_extension where extname in ('pg_net', 'pg_cron', 'pgmq') order by 1",
    );
    expect(extensions).toEqual([
      { extname: "pg_cron", extversion: "1.6" },
      { extname: "pg_net", extversion: "0.19.5" },
      { extname: "pgmq", extversion: "1.4.4" },
    ]);
    const { rows: schemas } = await local.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname in ('net', 'cron', 'pgmq', 'pgmq_public', 'supabase_functions') order by 1",
    );
    expect(schemas.map((row) => row.nspname)).toEqual([
      "cron",
      "net",
      "pgmq",
      "pgmq_public",
      "supabase_functions",
    ]);
    const { rows: jobs } = await local.query("select jobname, schedule from cron.job order by jobid");
    expect(jobs).toEqual([
      { jobname: "agent-cleanup", schedule: "*/5 * * * *" },
      { jobname: "heartbeat", schedule: "30 seconds" },
    ]);
    await local.query("insert into public.agent_runs (agent) values ('tutor')");
    const { rows: queued } = await local.query<{ url: string }>("select url from net.http_request_queue");
    expect(queued.map((row) => row.url)).toEqual([
      "http://127.0.0.1:54321/functions/v1/notification-dispatcher",
    ]);
    // Studio's pgmq_public replaced the extension's functions, and they work.
    const { rows: sent } = await local.query("select * from pgmq_public.send('notifications', '{\"a\": 1}')");
    expect(sent).toHaveLength(1);
  });

  it("other versions named in create extension install too", async () => {
    const database = await createTestDatabase("platform");
    try {
      await database.query("create extension pgmq version '1.5.1'");
      await database.query("create extension pg_cron version '1.4'");
      await database.query("alter extension pg_cron update");
      const { rows } = await database.query(
        "select extname, extversion from pg_extension where extname in ('pgmq', 'pg_cron') order by 1",
      );
      expect(rows).toEqual([
        { extname: "pg_cron", extversion: "1.6" },
        { extname: "pgmq", extversion: "1.5.1" },
      ]);
    } finally {
      await database.drop();
    }
  });

  it("rehearse on a Supabase-shaped target with db push --dry-run: validation passes, nothing is committed", async () => {
    await withClient(remote.url, (client) => client.query("create database supabase_like"));
    const url = withDatabase(remote.url, "supabase_like");
    // What a Supabase project has before Groundwork touches it (its roles, extensions, auth,
    // storage, realtime and webhooks' supabase_functions), none of it in Groundwork's history.
    await withClient(url, async (client) => {
      for (const file of platformFiles().filter(
        (f) => SUPABASE_PROVIDES.has(f.name) && f.name !== "auth_indexes",
      )) {
        await client.query(file.sql);
      }
    });
    const result = await pushMigrations(url, { config, dryRun: true });
    expect(result.plan.target.kind).toBe("supabase");
    expect(result.plan.target.platformSkipped).toContain("0050_webhooks");
    expect(result.applied).toHaveLength(3);
    // No RLS matrix in this project: that check is skipped; the others pass.
    expect(result.validation.map((check) => [check.name, check.status])).toEqual([
      ["history", "passed"],
      ["lint", "passed"],
      ["rls", "skipped"],
    ]);
    expect(result.committed).toBe(false);
    const { rows } = await withClient(url, (client) =>
      client.query("select count(*)::int as n from pg_extension where extname in ('pg_cron', 'pgmq')"),
    );
    expect(rows[0]).toEqual({ n: 0 });
  }, 120_000);
});
