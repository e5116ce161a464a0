import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { type Finding, installPreCommitHook, runGuard } from "../../../src/ops/guard/index.js";
import { lineOfPointer } from "../../../src/ops/guard/json-pointer-line.js";
import { generateApiKey } from "../../../src/ops/keys/api-keys.js";
import { runCli } from "../../harness/cli.js";
import { type FixtureRepo, fakeJwt, fixtureRepo, GUARD_TOML } from "./fixture-repo.js";

const repos: FixtureRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

function newRepo(): FixtureRepo {
  const repo = fixtureRepo();
  repos.push(repo);
  return repo;
}

async function guard(repo: FixtureRepo, base?: string) {
  const config = (await loadConfig(repo.dir)).guard;
  return runGuard({ projectDir: repo.dir, config, base: base ?? null });
}

function rules(findings: readonly Finding[]): string[] {
  return findings.map((finding) => finding.rule);
}

const MIGRATIONS = "supabase/migrations";
const TSX = import.meta.resolve("tsx");
const CLI = path.resolve(new URL("../../../src/cli/main.ts", import.meta.url).pathname);
const CLEAN_MIGRATION = `set lock_timeout = '1s';
create index concurrently contacts_email on contacts (email);
alter table contacts add column note text;
alter table contacts add constraint contacts_org_positive check (org_id > 0) not valid;
create table notes (id bigint primary key, body text);
create index notes_body on notes (body);
alter table notes add column author text not null;
`;

describe("groundwork guard: a clean repository", () => {
  it("finds nothing on a branch with a safe migration, and says which base ref it used", async () => {
    const repo = newRepo();
    repo.write(`${MIGRATIONS}/20250201000000_add_notes.sql`, CLEAN_MIGRATION);
    repo.write("docs/local.md", "psql postgresql://postgres:postgres@127.0.0.1:54322/postgres\n");
    repo.commit("safe change");
    const report = await guard(repo);
    expect(report.findings).toEqual([]);
    expect(report.baseRef).toBe("main");
    expect(report.errors).toBe(0);
  });
});

describe("groundwork guard: protected paths", () => {
  it("reports committed and uncommitted changes to protected files", async () => {
    const repo = newRepo();
    repo.write("reference_files/spec.md", "# Edited\n");
    repo.commit("edit the reference");
    repo.write("contracts/api.md", "new, untracked\n");
    const report = await guard(repo);
    const protectedFiles = report.findings.filter((f) => f.rule === "protected-path").map((f) => f.file);
    expect(protectedFiles.sort()).toEqual(["contracts/api.md", "reference_files/spec.md"]);
  });

  it("honours --base and refuses a base ref that does not exist", async () => {
    const repo = newRepo();
    repo.write("reference_files/spec.md", "# Edited\n");
    repo.commit("edit");
    expect((await guard(repo, "HEAD")).findings).toEqual([]);
    await expect(guard(repo, "no-such-ref")).rejects.toThrow(/no-such-ref does not exist/);
  });
});

describe("groundwork guard: JSON", () => {
  it("reports a syntax error with line and column, and a schema mismatch with the JSON pointer", async () => {
    const repo = newRepo();
    repo.write("config/app.json", '{\n  "a": 1,\n}\n');
    repo.write("tsconfig.base.json", '{\n  // comments are allowed here\n  "compilerOptions": {},\n}\n');
    repo.write(".vscode/settings.json", "{ /* JSONC */ }\n");
    repo.write(
      "tasks/tasks.json",
      '{\n  "tasks": [\n    { "id": 1, "status": "pending" },\n    { "id": 2, "status": "late" }\n  ]\n}\n',
    );
    repo.commit("json");
    const report = await guard(repo);
    expect(report.findings.filter((f) => f.rule === "json-syntax")).toHaveLength(1);
    const syntax = report.findings.find((f) => f.rule === "json-syntax");
    expect(syntax).toMatchObject({ file: "config/app.json", line: 3 });
    expect(syntax?.message).toMatch(/^config\/app\.json:3:1: invalid JSON/);
    const schema = report.findings.find((f) => f.rule === "json-schema");
    expect(schema).toMatchObject({ file: "tasks/tasks.json" });
    expect(schema?.message).toContain("/tasks/1/status");
    expect(schema?.line).toBe(4);
  });

  it("validates against a draft 2020-12 schema and reports a missing schema file", async () => {
    const repo = newRepo();
    repo.write(
      "schemas/tasks.schema.json",
      JSON.stringify({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        required: ["version"],
      }),
    );
    repo.write(
      "groundwork.toml",
      `${GUARD_TOML}\n[guard.json_schemas.other]\nfiles = "other.json"\nschema = "schemas/missing.json"\n`,
    );
    repo.write("other.json", "{}\n");
    repo.commit("schemas");
    const findings = (await guard(repo)).findings.filter((f) => f.rule === "json-schema");
    expect(findings.map((f) => f.file)).toEqual(["schemas/missing.json", "tasks/tasks.json"]);
    expect(findings[0]?.message).toContain("was not found");
    expect(findings[1]?.message).toContain("must have required property 'version'");
  });
});

describe("groundwork guard: secrets", () => {
  const serviceRole = fakeJwt({ iss: "supabase", role: "service_role" });
  const anon = fakeJwt({ iss: "supabase", role: "anon" });
  const secretKey = generateApiKey("secret");
  const cases: [string, string, string][] = [
    ["secret-service-role-jwt", `export const key = "${serviceRole}";\n`, serviceRole.slice(20)],
    ["secret-api-key", `SUPABASE_SECRET_KEY=${secretKey}\n`, secretKey.slice(10)],
    [
      "secret-private-key",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n", // groundwork:allow (a fake for the test)
      "b3BlbnNzaC1rZXktdjE=",
    ],
    [
      "secret-database-url",
      "DATABASE_URL=postgres://app:Hunter2Secret@db.example.com:5432/app\n", // groundwork:allow (a fake for the test)
      "Hunter2Secret",
    ],
    [
      "secret-jwt-secret",
      "JWT_SECRET=0123456789abcdefghijklmnopqrstuv\n", // groundwork:allow (a fake for the test)
      "0123456789abcdefghijklmnopqrstuv",
    ],
  ];
  it.each(cases)("finds %s with its line and masks the value", async (rule, content, secret) => {
    const repo = newRepo();
    repo.write("src/settings.txt", `# settings\n${content}`);
    repo.commit("leak");
    const report = await guard(repo);
    const finding = report.findings.find((f) => f.rule === rule);
    expect(finding).toMatchObject({ file: "src/settings.txt", line: 2, level: "ERROR" });
    expect(JSON.stringify(report)).not.toContain(secret);
  });

  it("reports tracked .env files but not templates, anon keys, the public demo key or ignored fixtures", async () => {
    const repo = newRepo();
    repo.write("docs/local.md", `${fakeJwt({ iss: "supabase-demo", role: "service_role" })}\n`);
    repo.write("docs/keys.md", "SECRET_KEY=sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz\n");
    repo.write(".env", "X=1\n");
    repo.write("app/.env.local", "X=1\n");
    repo.write("src/anon.ts", `export const anon = "${anon}";\n`);
    repo.write("fixtures/keys.txt", `${serviceRole}\n`);
    repo.write("src/env.ts", "export const env = { JWT_SECRET: config.auth.jwtSecret };\n");
    repo.commit("env");
    const report = await guard(repo);
    const envFiles = report.findings.filter((f) => f.rule === "secret-env-file").map((f) => f.file);
    expect(envFiles.sort()).toEqual([".env", "app/.env.local"]);
    expect(rules(report.findings)).not.toContain("secret-service-role-jwt");
    expect(rules(report.findings)).not.toContain("secret-jwt-secret");
    expect(rules(report.findings)).not.toContain("secret-api-key");
  });

  it("masks a short password in place, not the first look-alike text in the URL", async () => {
    const repo = newRepo();
    repo.write("deploy.sh", "psql postgresql://u:p@db.example:5432/app\n"); // groundwork:allow (a fake for the test)
    repo.commit("url");
    const finding = (await guard(repo)).findings.find((f) => f.rule === "secret-database-url");
    expect(finding?.message).toContain("postgresql://u:****@db.example:5432/app");
  });
});

describe("groundwork guard: migration files", () => {
  it("reports a misnamed file, a duplicate version and a new file older than the base ref's newest", async () => {
    const repo = newRepo();
    repo.write(`${MIGRATIONS}/create_things.sql`, "select 1;\n");
    repo.write(`${MIGRATIONS}/20240101000000_backdated.sql`, "select 1;\n");
    repo.write(`${MIGRATIONS}/20250301000000_a.sql`, "select 1;\n");
    repo.write(`${MIGRATIONS}/20250301000000_b.sql`, "select 1;\n");
    repo.commit("migrations");
    const report = await guard(repo);
    expect(report.findings.map((f) => [f.rule, path.basename(f.file)])).toEqual([
      ["migration-order", "20240101000000_backdated.sql"],
      ["migration-duplicate-version", "20250301000000_b.sql"],
      ["migration-name", "create_things.sql"],
    ]);
  });
});

describe("groundwork guard: migration lint rules", () => {
  // Each case: the rule, a statement on the existing table `contacts`, with lock_timeout set first
  // (so only the rule under test fires), and the same statement on a table created in the file.
  const cases: [string, string, string][] = [
    [
      "require-concurrent-index-creation",
      "create index c_org on contacts (org_id);",
      "create index t_org on t (org_id);",
    ],
    [
      "adding-required-field",
      "alter table contacts add column y int not null;",
      "alter table t add column y int not null;",
    ],
    [
      "adding-not-nullable-field",
      "alter table contacts alter column email set not null;",
      "alter table t alter column email set not null;",
    ],
    [
      "changing-column-type",
      "alter table contacts alter column org_id type int;",
      "alter table t alter column org_id type int;",
    ],
    [
      "renaming-column",
      "alter table contacts rename column email to mail;",
      "alter table t rename column email to mail;",
    ],
    ["renaming-table", "alter table contacts rename to people;", "alter table t rename to people;"],
    ["ban-drop-column", "alter table contacts drop column org_id;", "alter table t drop column org_id;"],
    ["ban-drop-table", "drop table contacts;", "drop table t;"],
    [
      "constraint-missing-not-valid",
      "alter table contacts add constraint fk foreign key (org_id) references contacts (id);",
      "alter table t add constraint fk foreign key (org_id) references contacts (id);",
    ],
    [
      "constraint-missing-not-valid",
      "alter table contacts add constraint ck check (org_id > 0);",
      "alter table t add constraint ck check (org_id > 0);",
    ],
  ];

  it.each(cases)(
    "%s: flags `%s` on an existing table, with its line, not on a new one",
    async (rule, onExisting, onNew) => {
      const repo = newRepo();
      const file = `${MIGRATIONS}/20250201000000_change.sql`;
      repo.write(
        file,
        `set lock_timeout = '1s';\ncreate table t (id bigint primary key, email text, org_id bigint);\n${onNew}\n\n${onExisting}\n`,
      );
      repo.commit("change");
      const report = await guard(repo);
      expect(report.findings.map((f) => [f.rule, f.file, f.line])).toEqual([[rule, file, 5]]);
    },
  );

  it("require-lock-timeout: flags the first strong lock on an existing table when no lock_timeout precedes it", async () => {
    const repo = newRepo();
    const file = `${MIGRATIONS}/20250201000000_note.sql`;
    repo.write(
      file,
      "create table t (id int);\nalter table t add column x int;\nalter table contacts add column note text;\nalter table contacts add column extra text;\n",
    );
    repo.commit("no timeout");
    const report = await guard(repo);
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([["require-lock-timeout", 3]]);
  });

  it("honours -- squawk-ignore comments and lints only migrations new or changed since the base ref", async () => {
    const repo = newRepo();
    repo.write(
      `${MIGRATIONS}/20250201000000_drop.sql`,
      "set lock_timeout = '1s';\n-- squawk-ignore ban-drop-column\nalter table contacts drop column org_id;\n",
    );
    repo.commit("ignored");
    expect((await guard(repo)).findings).toEqual([]);
    repo.git("checkout", "-q", "main");
    repo.write(`${MIGRATIONS}/20250101000001_old_drop.sql`, "alter table contacts drop column email;\n");
    repo.commit("on main");
    repo.git("checkout", "-q", "-b", "next");
    expect((await guard(repo)).findings).toEqual([]);
  });

  it("reports a migration PostgreSQL cannot parse, with its line", async () => {
    const repo = newRepo();
    repo.write(
      `${MIGRATIONS}/20250201000000_broken.sql`,
      "select 1;\nalter tabel contacts add column x int;\n",
    );
    repo.commit("broken");
    const report = await guard(repo);
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([["migration-syntax", 2]]);
  });
});

describe("groundwork guard (CLI)", () => {
  it("exits 1 with file:line findings, prints --json, and exits 0 on a clean tree", async () => {
    const repo = newRepo();
    repo.write(`${MIGRATIONS}/20250201000000_index.sql`, "create index c_email on contacts (email);\n");
    repo.write("reference_files/spec.md", "# Edited\n");
    repo.commit("bad");
    const text = await runCli(["guard", "--workdir", repo.dir]);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain("Compared with main");
    expect(text.stdout).toContain(
      "ERROR supabase/migrations/20250201000000_index.sql:1 [require-concurrent-index-creation]",
    );
    expect(text.stdout).toContain("ERROR reference_files/spec.md [protected-path]");

    const json = await runCli(["guard", "--json", "--workdir", repo.dir]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual([
      "baseRef",
      "checks",
      "errors",
      "filesScanned",
      "findings",
      "root",
      "warnings",
    ]);
    expect(report.errors).toBe(3);
    expect((report.findings as Finding[])[0]).toEqual({
      rule: "protected-path",
      level: "ERROR",
      file: "reference_files/spec.md",
      line: null,
      message: expect.stringContaining("protected"),
      fix: "git checkout main -- reference_files/spec.md",
    });

    const clean = await runCli(["guard", "--base", "HEAD", "--workdir", repo.dir]);
    expect(clean.stdout).toContain("guard: no findings");
    expect(clean.code).toBe(0);
    expect((await runCli(["guard", "bogus", "--workdir", repo.dir])).code).toBe(2);
  });
});

describe("groundwork guard install-hooks", () => {
  it("writes an executable pre-commit hook that blocks a bad commit, and keeps a foreign hook without --force", async () => {
    const repo = newRepo();
    const installed = await runCli(["guard", "install-hooks", "--workdir", repo.dir]);
    expect(installed.code).toBe(0);
    const hook = path.join(repo.dir, ".git", "hooks", "pre-commit");
    expect(statSync(hook).mode & 0o111).not.toBe(0);
    expect(readFileSync(hook, "utf8")).toContain("groundwork guard");
    expect(installPreCommitHook(repo.dir, false).status).toBe("unchanged");

    writeFileSync(hook, "#!/bin/sh\necho mine\n");
    const refused = await runCli(["guard", "install-hooks", "--workdir", repo.dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("not Groundwork's hook");
    expect(readFileSync(hook, "utf8")).toBe("#!/bin/sh\necho mine\n");

    expect(installPreCommitHook(repo.dir, true).status).toBe("replaced");
    expect(readFileSync(hook, "utf8")).toContain("groundwork guard");

    // The hook finds `groundwork` on PATH: a shim running the CLI from source.
    const bin = path.join(repo.dir, ".git", "test-bin");
    mkdirSync(bin);
    const shim = path.join(bin, "groundwork");
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${CLI}" "$@"\n`);
    chmodSync(shim, 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
    repo.write("reference_files/spec.md", "# Edited\n");
    repo.git("add", "-A");
    const commit = spawnSync("git", ["commit", "-q", "-m", "edit the reference"], {
      cwd: repo.dir,
      env,
      encoding: "utf8",
    });
    expect(commit.status).toBe(1);
    expect(`${commit.stdout}${commit.stderr}`).toContain("[protected-path]"); // git sends hook output to stderr
    expect(repo.git("log", "--format=%s", "-1").trim()).toBe("base");
  });
});

describe("lineOfPointer", () => {
  const text = '{\n  "a": [\n    1,\n    { "b": "x,]}" },\n    { "b/c": 2,\n      "d": [true] }\n  ]\n}\n';
  it.each([
    ["", 1],
    ["/a", 2],
    ["/a/0", 3],
    ["/a/1/b", 4],
    ["/a/2/b~1c", 5],
    ["/a/2/d/0", 6],
    ["/a/9", 2],
    ["/missing", 1],
  ])("%s is on line %i", (pointer, line) => {
    expect(lineOfPointer(text, pointer)).toBe(line);
  });
});
