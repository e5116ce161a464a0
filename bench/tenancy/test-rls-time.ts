/**
 * `groundwork test rls` wall time on the example project's matrix (issue 5 figure, target < 5 s):
 *   - in process: runRlsMatrix() alone (connect, fixtures, every cell, rollback);
 *   - the command: `groundwork test rls --db-url URL` as a user runs it, a new process each time
 *     (from source through tsx, so it includes the TypeScript loader's start-up).
 *
 *   npx tsx bench/tenancy/test-rls-time.ts [runs]
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../src/config/index.js";
import { runRlsMatrix } from "../../src/ops/rls-matrix/index.js";
import { EXAMPLE, startExampleDatabase } from "../example-database.js";

const RUNS = Number(process.argv[2] ?? 5);
const ROOT = new URL("../../", import.meta.url).pathname;

const example = await startExampleDatabase();
try {
  const config = await loadConfig(EXAMPLE, {});
  const inProcess: number[] = [];
  let cells = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const result = await runRlsMatrix(example.adminUrl, { config });
    inProcess.push(performance.now() - started);
    cells = result.cells.length;
    const failed = result.cells.filter((c) => !c.pass).length;
    if (failed > 0) throw new Error(`${failed} cells failed`);
  }
  const command: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "src/cli/main.ts"),
        "test",
        "rls",
        "--workdir",
        EXAMPLE,
        "--db-url",
        example.adminUrl,
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    command.push(performance.now() - started);
  }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return `median ${(median / 1000).toFixed(2)} s, min ${((sorted[0] ?? 0) / 1000).toFixed(2)} s, max ${((sorted[sorted.length - 1] ?? 0) / 1000).toFixed(2)} s`;
  };
  console.log(`\ngroundwork test rls on the example project: ${cells} cells, ${RUNS} runs each`);
  console.log(`  in process (runRlsMatrix)          ${stats(inProcess)}`);
  console.log(`  command (new process, --db-url)    ${stats(command)}`);
} finally {
  await example.stop();
}
