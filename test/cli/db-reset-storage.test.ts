import { cpSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedCluster } from "../../src/db/cluster.js";
import { runCli } from "../harness/cli.js";
import { freePort } from "../harness/free-port.js";
import { type TempProject, tempProject } from "../harness/project.js";

/** config.toml's `archive` bucket seeds the files of supabase/archive (names in several scripts). */
const FIXTURE = path.resolve(import.meta.dirname, "../storage/fixtures/lifecycle-project");
const SEEDED: Record<string, string> = {
  "été/naïve 🎉.txt": "Café naïve ✓ — première version\n",
  "日本/メモ.md": "# メモ\n\n日本語のメモ 🗾\n",
};

let project: TempProject;
let env: Record<string, string>;

async function versionsOnDisk(root: string): Promise<Set<string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return new Set(entries.filter((e) => e.isFile() && !e.parentPath.includes(".partial")).map((e) => e.name));
}

beforeAll(async () => {
  project = tempProject({ configToml: "" });
  cpSync(FIXTURE, project.dir, { recursive: true });
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

// `groundwork db reset` seeds config.toml's buckets and their files, as `supabase db reset` does,
// with the stack running (the running server serves them at once) and with it stopped.
describe("db reset and storage", () => {
  const storageFolder = () => path.join(project.dir, ".groundwork", "storage");

  it("seeds the buckets again on a running stack, and drops the old database's files", async () => {
    expect((await runCli(["start", "--detach", "--workdir", project.dir], env)).code).toBe(0);
    const status = await runCli(["status", "-o", "json", "--workdir", project.dir], env);
    const variables = JSON.parse(status.stdout) as Record<string, string>;
    const api = variables.API_URL ?? "";
    const key = variables.SERVICE_ROLE_KEY ?? "";
    const headers = { apikey: key, authorization: `Bearer ${key}` };
    const object = (name: string) => `${api}/storage/v1/object/archive/${encodeURI(name)}`;

    // The server seeds config.toml's buckets shortly after start.
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${api}/storage/v1/bucket/archive`, { headers })).status !== 200) {
      if (Date.now() > deadline) throw new Error("the archive bucket was not seeded after start");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const extra = await fetch(object("brouillon ✏️.txt"), {
      method: "POST",
      headers: { ...headers, "content-type": "text/plain", "x-upsert": "true" },
      body: "à effacer",
    });
    expect(extra.status, await extra.clone().text()).toBe(200);
    const before = await versionsOnDisk(storageFolder());

    const reset = await runCli(["db", "reset", "--workdir", project.dir], env, 120_000);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain("2 bucket(s) with 2 file(s)");

    for (const [name, text] of Object.entries(SEEDED)) {
      const download = await fetch(object(name), { headers });
      expect(download.status).toBe(200);
      expect(await download.text()).toBe(text);
    }
    const gone = await fetch(object("brouillon ✏️.txt"), { headers });
    expect(await gone.json()).toMatchObject({ statusCode: "404" });
    // Only the reseeded files' bytes are left: the old database's went with it.
    const after = await versionsOnDisk(storageFolder());
    expect([...after].filter((v) => before.has(v))).toEqual([]);
    expect(after.size).toBe(2);

    expect((await runCli(["stop", "--workdir", project.dir], env)).code).toBe(0);
  }, 240_000);

  it("seeds them on a stopped stack (the command starts the embedded cluster for itself)", async () => {
    const reset = await runCli(["db", "reset", "--workdir", project.dir], env, 120_000);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain("2 bucket(s) with 2 file(s)");

    // Read what the command left, with the cluster started only to look.
    const cluster = await startEmbeddedCluster({
      dataDir: path.join(project.dir, ".groundwork", "db"),
      port: Number(env.GROUNDWORK_DB_PORT),
      portSetting: "GROUNDWORK_DB_PORT",
    });
    try {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string; version: string; public: boolean }>(
          `select o.name, o.version, b.public from storage.objects o join storage.buckets b on b.id = o.bucket_id
           where o.bucket_id = 'archive' order by o.name collate "C"`,
        );
        expect(rows.map((r) => r.name)).toEqual(Object.keys(SEEDED));
        expect(rows.every((r) => r.public === false)).toBe(true);
        const onDisk = await versionsOnDisk(storageFolder());
        expect([...onDisk].sort()).toEqual(rows.map((r) => r.version).sort());
      } finally {
        await client.end();
      }
    } finally {
      await cluster.stop();
    }
  }, 240_000);
});
