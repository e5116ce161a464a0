import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");

/** Each file imports one path: [file, import, allowed]. The layers of DESIGN.md. */
const ARROWS: [string, string, boolean][] = [
  ["src/migrate/a.ts", "../ops/reset/reset.js", false],
  ["src/migrate/b.ts", "../services/service.js", false],
  ["src/migrate/c.ts", "../http/server.js", false],
  ["src/migrate/d.ts", "../stack/stack.js", false],
  ["src/migrate/e.ts", "../db/transaction.js", true],
  ["src/http/a.ts", "../stack/stack.js", false],
  ["src/http/b.ts", "../ops/status/report.js", false],
  ["src/http/c.ts", "../services/service.js", true],
  ["src/services/auth/a.ts", "../rest/execute.js", false],
  ["src/services/auth/b.ts", "../rest/index.js", true],
  ["src/services/rest/sql/a.ts", "../../auth/sql/users.js", false],
  ["src/services/storage/a.ts", "../realtime/changes/feed.js", false],
  ["src/services/auth/c.ts", "../../http/server.js", false],
  ["src/services/a.ts", "../ops/reset/reset.js", false],
  ["src/ops/a.ts", "../services/auth/password.js", false],
  ["src/ops/b.ts", "../services/auth/index.js", true],
  ["src/ops/c.ts", "../http/server.js", false],
  ["src/db/a.ts", "../services/service.js", false],
  ["src/request/a.ts", "../http/server.js", false],
  ["src/metrics/a.ts", "../db/pool.js", false],
  ["src/cli/a.ts", "../stack/stack.js", true],
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-arrows-"));
  copyFileSync(path.join(ROOT, "biome.json"), path.join(dir, "biome.json"));
  for (const [file, target] of ARROWS) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(
      path.join(dir, file),
      `import * as imported from "${target}";\n\nexport const used = imported;\n`,
    );
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Biome's import rules (DESIGN.md's layers)", () => {
  it("refuse every wrong arrow and allow the right ones", async () => {
    const { stdout } = await promisify(execFile)(
      BIOME,
      ["lint", "--vcs-enabled=false", "--reporter=json", "--max-diagnostics=none", "src"],
      { cwd: dir, timeout: 30_000 },
    ).catch((error: { stdout: string }) => error);
    const report = JSON.parse(stdout) as {
      diagnostics: { category: string; location: { path: string } }[];
    };
    const refused = new Set(
      report.diagnostics
        .filter((diagnostic) => diagnostic.category === "lint/style/noRestrictedImports")
        .map((diagnostic) => diagnostic.location.path),
    );
    const expected = ARROWS.filter(([, , allowed]) => !allowed).map(([file]) => file);
    expect([...refused].sort()).toEqual(expected.sort());
  });
});
