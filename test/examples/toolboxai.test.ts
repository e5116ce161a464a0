import type { SupabaseClient } from "@supabase/supabase-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../jobs/receiver.js";

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
    expect((await admin.client.from("system_health").select("*")).data).toEqual([]);
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
