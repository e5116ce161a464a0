import type { SupabaseClient } from "@supabase/supabase-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../jobs/receiver.js";
import { Inbox, settle, subscribed } from "../realtime/helpers.js";

import { EICAR } from "../storage/clamd.js";
import { ETOILE, startToolboxServer, TOKYO, type ToolboxServer } from "./toolboxai-server.js";

// ToolboxAI's backend (examples/toolboxai) end to end through supabase-js as its three roles:
// organizations as tenants, uploads processed by a real Deno function after a real ClamAV scan,
// executions notified over Realtime through a database webhook, and the analytics aggregation.
let server: ToolboxServer;
type Member = { client: SupabaseClient; userId: string };
let admin: Member;
let teacher: Member;
let student: Member;
let student2: Member;
let tokyoAdmin: Member;
const QUIZ_AGENT = "00000000-0000-4000-8000-00000000a901";

beforeAll(async () => {
  server = await startToolboxServer();
  admin = await server.signedIn("admin@etoile.test");
  teacher = await server.signedIn("teacher@etoile.test");
  student = await server.signedIn("student@etoile.test");
  student2 = await server.signedIn("student2@etoile.test");
  tokyoAdmin = await server.signedIn("admin@tokyo.test");
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe("organizations and roles", () => {
  it("keeps each organization's executions to its members, students to their own", async () => {
    const seen = async (member: Member) => {
      const { data, error } = await member.client.from("agent_executions").select("user_id, organization_id");
      expect(error).toBeNull();
      return data ?? [];
    };
    const asStudent = await seen(student);
    expect(asStudent.length).toBeGreaterThan(0);
    expect(asStudent.every((row) => row.user_id === student.userId)).toBe(true);
    const asTeacher = await seen(teacher);
    expect(new Set(asTeacher.map((row) => row.user_id)).size).toBeGreaterThan(1);
    expect(asTeacher.every((row) => row.organization_id === ETOILE)).toBe(true);
    expect((await seen(admin)).length).toBe(asTeacher.length);
    const asTokyo = await seen(tokyoAdmin);
    expect(asTokyo.length).toBeGreaterThan(0);
    expect(asTokyo.every((row) => row.organization_id === TOKYO)).toBe(true);

    const forged = await student.client
      .from("agent_executions")
      .insert({ organization_id: TOKYO, agent_id: "00000000-0000-4000-8000-00000000a903" });
    expect(forged.error?.code).toBe("42501");
    const forOther = await student.client
      .from("agent_executions")
      .insert({ organization_id: ETOILE, agent_id: QUIZ_AGENT, user_id: student2.userId });
    expect(forOther.error?.code).toBe("42501");
    const own = await student.client
      .from("agent_executions")
      .insert({
        organization_id: ETOILE,
        agent_id: QUIZ_AGENT,
        input_data: { prompt: "Les fractions ½ ¾ 🍕" },
      })
      .select()
      .single();
    expect(own.error).toBeNull();
    expect(own.data.user_id).toBe(student.userId);
  });

  it("lets students read the agents, teachers set up their own, and nobody read system health", async () => {
    const agents = await student.client.from("agent_instances").select("name").order("name");
    expect(agents.data?.map((agent) => agent.name)).toEqual([
      "Générateur de quiz 🧠",
      "Tuteur de français 📚",
    ]);
    const byStudent = await student.client
      .from("agent_instances")
      .insert({ organization_id: ETOILE, name: "Mon agent 🤫", agent_type: "tutor" });
    expect(byStudent.error?.code).toBe("42501");
    const byTeacher = await teacher.client
      .from("agent_instances")
      .insert({ organization_id: ETOILE, name: "Correcteur ✍️", agent_type: "grader" })
      .select()
      .single();
    expect(byTeacher.error).toBeNull();
    expect(
      (await tokyoAdmin.client.from("agent_instances").select("id").eq("id", byTeacher.data.id)).data,
    ).toEqual([]);
    expect((await admin.client.from("system_health").select("*")).error?.code).toBe("42501");
    const organizations = await student.client.from("organizations").select("name");
    expect(organizations.data).toEqual([{ name: "Lycée Étoile ✨" }]);
  });
});

/** The file record of `path` as the superuser sees it (deleted or not). */
async function fileRecord(path: string) {
  const rows = await server.sql<Record<string, unknown>>(
    "select * from public.files where storage_path = $1",
    [path],
  );
  return rows[0];
}

/** Waits until the file-processing function has completed the record of `path`. */
function processed(path: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const record = await fileRecord(path);
      return record?.processed_at ? record : undefined;
    },
    60_000,
    `file-processing of ${path}`,
  );
}

describe("uploads", () => {
  it("are scanned, then file-processing fills the record and stores a thumbnail", async () => {
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#3366aa" } })
      .png()
      .toBuffer();
    const path = `${ETOILE}/${student.userId}/schéma 🧪 学习.png`;
    const up = await student.client.storage.from("files").upload(path, png, { contentType: "image/png" });
    expect(up.error).toBeNull();
    const record = await processed(path);
    expect(record).toMatchObject({
      organization_id: ETOILE,
      user_id: student.userId,
      filename: "schéma 🧪 学习.png",
      mime_type: "image/png",
      file_size: String(png.length),
      width: 640,
      height: 480,
      scan_status: "clean",
      status: "available",
      thumbnail_path: path,
    });
    const thumbnail = await student.client.storage.from("thumbnails").download(path);
    expect(thumbnail.error).toBeNull();
    const size = await sharp(Buffer.from(await (thumbnail.data as Blob).arrayBuffer())).metadata();
    expect([size.width, size.height]).toEqual([300, 225]);
    expect((record.metadata as { thumbnail: unknown }).thumbnail).toEqual({ path, width: 300, height: 225 });

    // Staff of the organization see the record; other students and organizations do not.
    const mine = async (member: Member) =>
      (await member.client.from("files").select("id, width").eq("storage_path", path)).data;
    expect(await mine(student)).toEqual([{ id: record.id, width: 640 }]);
    expect(await mine(teacher)).toEqual([{ id: record.id, width: 640 }]);
    expect(await mine(student2)).toEqual([]);
    expect(await mine(tokyoAdmin)).toEqual([]);
    expect((await tokyoAdmin.client.storage.from("files").download(path)).error).not.toBeNull();
    expect((await student2.client.storage.from("thumbnails").download(path)).error).not.toBeNull();
  }, 90_000);

  it("refuses infected files and uploads outside the member's own folder", async () => {
    const infected = `${ETOILE}/${student.userId}/devoir-à-rendre.txt`;
    const virus = await student.client.storage
      .from("files")
      .upload(infected, EICAR, { contentType: "text/plain" });
    expect(virus.error).toMatchObject({ statusCode: "422" });
    expect(await fileRecord(infected)).toBeUndefined();
    const intoOther = await student.client.storage
      .from("files")
      .upload(`${ETOILE}/${student2.userId}/x.txt`, "bonjour", { contentType: "text/plain" });
    expect(intoOther.error).toMatchObject({ statusCode: "403" });
    const intoTokyo = await student.client.storage
      .from("files")
      .upload(`${TOKYO}/${student.userId}/x.txt`, "こんにちは", { contentType: "text/plain" });
    expect(intoTokyo.error).toMatchObject({ statusCode: "403" });
  });

  it("can be processed again by the app, for the uploader's own files only", async () => {
    const path = `${ETOILE}/${student.userId}/résumé.txt`;
    const up = await student.client.storage.from("files").upload(path, "Résumé du cours 📖", {
      contentType: "text/plain",
    });
    expect(up.error).toBeNull();
    await processed(path);
    const again = await student.client.functions.invoke("file-processing", {
      body: { bucket: "files", objectName: path },
    });
    expect(again.error).toBeNull();
    expect(again.data).toMatchObject({ success: true, virusScanPassed: true, thumbnailGenerated: false });
    expect(again.data.file).toMatchObject({ mime_type: "text/plain", width: null, status: "available" });
    const byOther = await student2.client.functions.invoke("file-processing", {
      body: { bucket: "files", objectName: path },
    });
    expect(byOther.error).not.toBeNull();
    expect((byOther.error as { context: Response }).context.status).toBe(404);
  }, 90_000);
});

/** A notification as the dispatcher broadcasts it. */
interface Notification {
  type: string;
  executionId: string;
  status: string;
  previousStatus: string | null;
  receivedAt: number;
}

/** Joins the member's private notification channel; what arrives goes to the inbox. */
async function listen(member: Member, topicUser = member.userId): Promise<Inbox<Notification>> {
  const inbox = new Inbox<Notification>();
  await subscribed(
    member.client
      .channel(`notifications:${topicUser}`, { config: { private: true } })
      .on("broadcast", { event: "agent_execution" }, ({ payload }) =>
        inbox.push({ ...(payload as Notification), receivedAt: Date.now() }),
      ),
  );
  return inbox;
}

function arrived(inbox: Inbox<Notification>, executionId: string, status: string): Promise<Notification> {
  return eventually(
    async () => inbox.items.find((item) => item.executionId === executionId && item.status === status),
    30_000,
    `the ${status} notification of ${executionId}`,
  );
}

describe("notifications", () => {
  let forStudent: Inbox<Notification>;
  let forStudent2: Inbox<Notification>;

  beforeAll(async () => {
    forStudent = await listen(student);
    forStudent2 = await listen(student2);
  });

  it("reach only the member an execution runs for, on every status change", async () => {
    await expect(listen(student2, student.userId)).rejects.toThrow();
    const created = await teacher.client
      .from("agent_executions")
      .insert({
        organization_id: ETOILE,
        agent_id: QUIZ_AGENT,
        user_id: student.userId,
        input_data: { prompt: "Quiz : les fractions 🍕" },
      })
      .select()
      .single();
    expect(created.error).toBeNull();
    const id = created.data.id as string;
    expect(await arrived(forStudent, id, "pending")).toMatchObject({ type: "INSERT", previousStatus: null });
    const running = await teacher.client.from("agent_executions").update({ status: "running" }).eq("id", id);
    expect(running.error).toBeNull();
    expect(await arrived(forStudent, id, "running")).toMatchObject({
      type: "UPDATE",
      previousStatus: "pending",
    });
    // An update that leaves the status alone notifies nobody.
    await teacher.client.from("agent_executions").update({ quality_score: 0.5 }).eq("id", id);
    await settle(1000);
    expect(forStudent.items.filter((item) => item.executionId === id)).toHaveLength(2);
    expect(forStudent2.items.some((item) => item.executionId === id)).toBe(false);
  }, 60_000);

  it("are delivered in batches of up to 10 under the engine's policy", async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({
      organization_id: ETOILE,
      agent_id: QUIZ_AGENT,
      user_id: student2.userId,
      task_type: `exercice n°${i + 1} ✏️`,
    }));
    const created = await teacher.client.from("agent_executions").insert(rows).select("id");
    expect(created.error).toBeNull();
    const ids = (created.data ?? []).map((row) => row.id as string);
    await eventually(
      async () => ids.every((id) => forStudent2.items.some((item) => item.executionId === id)) || undefined,
      30_000,
      "12 notifications",
    );
    // The function's answers (recorded once each call is done) tell how many payloads it got.
    const sizes = await eventually(
      async () => {
        const answers = await server.sql<{ content: string }>(
          `select content from net._http_response where content like '%"notificationsSent"%'`,
        );
        const counts = answers.map((answer) => JSON.parse(answer.content).payloads as number);
        return counts.reduce((sum, n) => sum + n, 0) >= 12 + 3 ? counts : undefined;
      },
      10_000,
      "the dispatcher's answers",
    );
    expect(Math.max(...sizes)).toBe(10);
    const [policy] = await server.sql(
      "select max_attempts, batch_size, user_key, user_rate_per_minute, user_rate_per_hour from groundwork.http_policies where url_prefix like '%/notification-dispatcher'",
    );
    expect(policy).toEqual({
      max_attempts: 4,
      batch_size: 10,
      user_key: ["record", "user_id"],
      user_rate_per_minute: 60,
      user_rate_per_hour: 1000,
    });
  }, 60_000);

  it("wait for a member whose hourly allowance is spent, and no one else", async () => {
    // Spend the student's hourly bucket (1,000/h: the next token comes 3.6 s later).
    const drained = await server.sql(
      "update groundwork.http_rate_buckets set tokens = 0, refreshed_at = clock_timestamp() where key like $1 returning key",
      [`user|%/notification-dispatcher|${student.userId}|h`],
    );
    expect(drained).toHaveLength(1);
    const insert = (userId: string) =>
      teacher.client
        .from("agent_executions")
        .insert({ organization_id: ETOILE, agent_id: QUIZ_AGENT, user_id: userId, task_type: "révision 📚" })
        .select("id")
        .single();
    const committed = Date.now();
    const limited = await insert(student.userId);
    const free = await insert(student2.userId);
    const held = await arrived(forStudent, limited.data?.id, "pending");
    const passed = await arrived(forStudent2, free.data?.id, "pending");
    expect(held.receivedAt - committed).toBeGreaterThanOrEqual(2500);
    expect(passed.receivedAt).toBeLessThan(held.receivedAt);
  }, 60_000);
});

/** Totals of the executions table, for the expected health score. */
interface Totals extends Record<string, unknown> {
  agents: number;
  agents_ok: number;
  executions: number;
  completed: number;
  finished: number;
  fast: number;
  old: number;
}

describe("analytics aggregation", () => {
  it("computes per-agent metrics and the health score, and deletes what is past 30 days", async () => {
    const [agent] = await server.sql<{ id: string }>(
      `insert into public.agent_instances (organization_id, user_id, name, agent_type)
       select $1, id, 'Agrégateur 📊 集計', 'analytics' from auth.users where email = 'teacher@tokyo.test'
       returning id`,
      [TOKYO],
    );
    const agentId = agent?.id;
    // 3 completed (1, 2, 3 s; quality 0.9, 0.8, 0.7), 1 failed (6 s), 1 running; 2 from 31 days ago.
    await server.sql(
      `insert into public.agent_executions (organization_id, agent_id, user_id, status, execution_time_ms, quality_score, created_at)
       select $1, $2, u.id, e.status, e.ms, e.quality, now() - e.age
         from auth.users u,
              (values ('completed', 1000, 0.9, interval '1 hour'), ('completed', 2000, 0.8, interval '2 days'),
                      ('completed', 3000, 0.7, interval '29 days'), ('failed', 6000, null, interval '3 hours'),
                      ('running', null, null, interval '1 minute'), ('completed', 500, 1.0, interval '31 days'),
                      ('failed', 500, null, interval '40 days')) as e (status, ms, quality, age)
        where u.email = 'student@tokyo.test'`,
      [TOKYO, agentId],
    );
    const service = server.client(server.serviceRoleKey);
    const { data, error } = await service.functions.invoke("analytics-aggregation", { body: {} });
    expect(error).toBeNull();

    // The same figures from a plain query over what is left.
    const [expected] = await server.sql<Totals>(
      `select (select count(*)::int from public.agent_instances) as agents,
              (select count(*)::int from public.agent_instances where status <> 'error') as agents_ok,
              count(*)::int as executions,
              (count(*) filter (where status = 'completed'))::int as completed,
              (count(*) filter (where status in ('completed', 'failed')))::int as finished,
              (count(*) filter (where status in ('completed', 'failed') and execution_time_ms <= 5000))::int as fast,
              (select count(*)::int from public.agent_executions where created_at < now() - interval '30 days') as old
         from public.agent_executions`,
    );
    const e = expected as Totals;
    expect(e.old).toBe(0);
    const score =
      Math.round(
        (0.6 * ((100 * e.completed) / e.finished) +
          0.2 * ((100 * e.fast) / e.finished) +
          0.2 * ((100 * e.agents_ok) / e.agents)) *
          100,
      ) / 100;
    expect(data).toMatchObject({
      success: true,
      agentsProcessed: e.agents,
      executionsProcessed: e.executions,
      systemHealthScore: score,
      status: score >= 80 ? "healthy" : score >= 50 ? "degraded" : "critical",
    });
    expect(data.deletedExecutions).toBeGreaterThanOrEqual(2);

    const tokyoTeacher = await server.signedIn("teacher@tokyo.test");
    const metrics = await tokyoTeacher.client
      .from("agent_metrics")
      .select("*")
      .eq("agent_id", agentId)
      .single();
    expect(metrics.error).toBeNull();
    expect(metrics.data).toMatchObject({
      organization_id: TOKYO,
      executions: 5,
      completed: 3,
      failed: 1,
      success_rate: 75,
      avg_execution_ms: 3000,
      p95_execution_ms: 5550,
      avg_quality_score: 0.8,
    });
    expect(
      (await teacher.client.from("agent_metrics").select("agent_id").eq("agent_id", agentId)).data,
    ).toEqual([]);
    expect((await student.client.from("agent_metrics").select("agent_id")).data).toEqual([]);
    const [health] = await server.sql(
      "select health_score::float8 as score from public.system_health order by id desc limit 1",
    );
    expect(health?.score).toBe(score);
  }, 60_000);

  it("is for the service role only", async () => {
    const invoked = await student.client.functions.invoke("analytics-aggregation", { body: {} });
    expect((invoked.error as { context: Response }).context.status).toBe(403);
    const called = await admin.client.rpc("aggregate_agent_analytics", { retention_days: 30 });
    expect(called.error).not.toBeNull();
  });

  it("runs from pg_cron every 5 minutes through the function", async () => {
    const [job] = await server.sql<{ jobid: string; schedule: string; command: string }>(
      "select jobid::text, schedule, command from cron.job where jobname = 'analytics-aggregation'",
    );
    expect(job?.schedule).toBe("*/5 * * * *");
    expect(job?.command).toContain(`${server.url}/functions/v1/analytics-aggregation`);
    // Every second for a moment, to see a tick go all the way to a new health row.
    const [before] = await server.sql<{ id: string }>(
      "select coalesce(max(id), 0)::text as id from public.system_health",
    );
    await server.sql("select cron.alter_job($1::bigint, schedule => '1 seconds')", [job?.jobid]);
    try {
      await eventually(
        async () =>
          (await server.sql("select 1 from public.system_health where id > $1", [before?.id])).length > 0 ||
          undefined,
        30_000,
        "a health row written by the cron job",
      );
    } finally {
      await server.sql("select cron.alter_job($1::bigint, schedule => '*/5 * * * *')", [job?.jobid]);
    }
    const runs = await server.sql<{ status: string }>(
      "select status from cron.job_run_details where jobid = $1",
      [job?.jobid],
    );
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((run) => run.status === "succeeded")).toBe(true);
  }, 60_000);
});

describe("file records", () => {
  it("log every member's download, and a deletion only hides the record until the purge", async () => {
    const path = `${ETOILE}/${student.userId}/notes-été 📝.txt`;
    const up = await student.client.storage
      .from("files")
      .upload(path, "Théorème de Pythagore : a² + b² = c²", {
        contentType: "text/plain",
      });
    expect(up.error).toBeNull();
    const record = await processed(path);
    const id = record.id as string;
    expect((await student.client.storage.from("files").download(path)).error).toBeNull();
    expect((await teacher.client.storage.from("files").download(path)).error).toBeNull();
    const signed = await student.client.storage.from("files").createSignedUrl(path, 60);
    expect((await fetch(signed.data?.signedUrl ?? "")).status).toBe(200);

    const log = async (member: Member) =>
      (await member.client.from("file_access_log").select("action, user_id").eq("file_id", id).order("id"))
        .data;
    // Students see their own entries; staff see all, the signed URL's download without a member.
    expect(await log(student)).toEqual([
      { action: "upload", user_id: student.userId },
      { action: "download", user_id: student.userId },
    ]);
    expect(await log(teacher)).toEqual([
      { action: "upload", user_id: student.userId },
      { action: "download", user_id: student.userId },
      { action: "download", user_id: teacher.userId },
      { action: "download", user_id: null },
    ]);
    expect(await log(student2)).toEqual([]);

    // Neither another student nor a teacher (who deletes only their own) may delete it.
    await student2.client.from("files").delete().eq("id", id);
    await teacher.client.from("files").delete().eq("id", id);
    expect((await fileRecord(path))?.deleted_at).toBeNull();

    const deleted = await student.client.from("files").delete().eq("id", id);
    expect(deleted.error).toBeNull();
    expect(await fileRecord(path)).toMatchObject({ deleted_by: student.userId });
    expect((await fileRecord(path))?.deleted_at).not.toBeNull();
    expect((await student.client.from("files").select("id").eq("id", id)).data).toEqual([]);
    expect((await teacher.client.from("files").select("id").eq("id", id)).data).toEqual([]);
    expect((await student.client.storage.from("files").download(path)).error).not.toBeNull();
    expect((await admin.client.storage.from("files").download(path)).error).not.toBeNull();
    const [entry] = await server.sql(
      "select action, user_id from public.file_access_log where file_id = $1 order by id desc limit 1",
      [id],
    );
    expect(entry).toEqual({ action: "delete", user_id: student.userId });

    // 31 days later the aggregation's cleanup removes the record and its bytes.
    await server.sql("update public.files set deleted_at = now() - interval '31 days' where id = $1", [id]);
    const run = await server
      .client(server.serviceRoleKey)
      .rpc("aggregate_agent_analytics", { retention_days: 30 });
    expect(run.error).toBeNull();
    expect(run.data.purgedFiles).toBe(1);
    expect(await fileRecord(path)).toBeUndefined();
    expect(await server.sql("select 1 from storage.objects where name = $1", [path])).toEqual([]);
  }, 90_000);
});

describe("files removed through Storage", () => {
  it("go to the bucket's trash with their record marked deleted, and come back on restore", async () => {
    const path = `${ETOILE}/${student.userId}/brouillon ✂️ 草稿.txt`;
    const up = await student.client.storage.from("files").upload(path, "Première version ✍️", {
      contentType: "text/plain",
    });
    expect(up.error).toBeNull();
    const record = await processed(path);
    const removed = await student.client.storage.from("files").remove([path]);
    expect(removed.error).toBeNull();
    expect(removed.data).toHaveLength(1);
    expect((await fileRecord(path))?.deleted_at).not.toBeNull();
    expect((await teacher.client.from("files").select("id").eq("id", record.id)).data).toEqual([]);

    const service = { apikey: server.serviceRoleKey, authorization: `Bearer ${server.serviceRoleKey}` };
    const trash = (await (
      await fetch(`${server.url}/storage/v1/trash?bucket=files`, { headers: service })
    ).json()) as {
      id: string;
      name: string;
    }[];
    const entry = trash.find((item) => item.name === path);
    expect(entry).toBeDefined();
    const restored = await fetch(`${server.url}/storage/v1/trash/${entry?.id}/restore`, {
      method: "POST",
      headers: service,
    });
    expect(restored.status).toBe(200);
    // The object is back: its record is live again and processed anew.
    await eventually(
      async () => {
        const again = await fileRecord(path);
        return again?.deleted_at === null && again.status === "available" ? again : undefined;
      },
      60_000,
      "the restored file's record",
    );
    const download = await student.client.storage.from("files").download(path);
    expect(await (download.data as Blob).text()).toBe("Première version ✍️");
  }, 90_000);
});
