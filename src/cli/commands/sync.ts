import path from "node:path";
import { maskSecrets } from "../../db/database-url.js";
import { logOperation } from "../../ops/operations-log.js";
import { explainSync, SyncRefusedError, syncPush } from "../../ops/sync/sync.js";
import type { SyncPlan, SyncResult, SyncStep } from "../../ops/sync/types.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { formatTable, note, print, printJson } from "../output.js";
import { progressBar } from "../progress-bar.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const syncHelp = `Replaces a target's public data with the local data and copies the test users (docs/cli/sync-push.md).

Usage:
  groundwork sync push (--target NAME | --db-url URL) [--force] [--local-url URL] [--json]

Without --force it only explains what it would overwrite and exits 1; nothing is changed.
With --force: back up the target, then in one transaction truncate every public table, load the
local rows, upsert the local users (password hashes intact), tenants and memberships, reset the
sequences, commit; then verify. A failure at any point leaves the target unchanged.

Options:
  --target NAME     the database named in groundwork.toml [targets.NAME]
  --db-url URL      the target database by URL
  --force           do it (back up the target first)
  --local-url URL   the local side (default: DATABASE_URL, the running stack, or the embedded cluster)
  --json            print the plan or the result as JSON
  --workdir DIR     the project folder (default: the current folder)

Exit codes: 0 synced and verified equal, 1 not synced (no --force, refused, failed) or the
verification found a difference, 2 usage error.`;

const STEPS: Record<SyncStep, string> = {
  plan: "Comparing the local database and the target…",
  backup: "Backing up the target…",
  copy: "Replacing the target's public data in one transaction…",
  verify: "Verifying the target against the local database…",
};

/** `groundwork sync push`. */
export async function syncCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    print(syncHelp);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "push") throw new UsageError(`unknown subcommand "sync ${sub}" (expected push)`);
  const { values } = parseCommandArgs(rest, {
    target: { type: "string" },
    "db-url": { type: "string" },
    "local-url": { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  if (values.help) {
    print(syncHelp);
    return 0;
  }
  const config = await loadProjectConfig(values.workdir);
  const targetUrl = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  if (targetUrl === undefined) throw new UsageError("sync push needs --target NAME or --db-url URL");
  const target = values.target ?? maskSecrets(targetUrl);
  const pushCommand = `groundwork db push ${values.target ? `--target ${values.target}` : `--db-url ${maskSecrets(targetUrl)}`}`;

  if (!values.force) {
    const plan = await withDatabaseUrl(config, values["local-url"], (localUrl) =>
      explainSync(localUrl, targetUrl, { pushCommand }),
    );
    if (values.json) printJson({ synced: false, force: false, plan });
    else printPlan(plan, target);
    return 1;
  }

  const backupBar = progressBar("Backing up the target");
  const copyBar = progressBar("Copying");
  try {
    const result = await withDatabaseUrl(config, values["local-url"], (localUrl) =>
      syncPush(localUrl, targetUrl, {
        pushCommand,
        backupsDir: path.join(config.projectDir, "backups"),
        onStep: (step) => {
          backupBar.done();
          copyBar.done();
          note(STEPS[step]);
        },
        onBackupProgress: backupBar.update,
        onProgress: copyBar.update,
      }),
    );
    copyBar.done();
    const equal = result.verification.equal;
    logOperation(config.stateDir, {
      what: "sync push",
      target,
      outcome: equal ? "ok" : "failed",
      backupFile: result.backupFile,
      detail: equal
        ? `${result.rows} row(s) in ${result.plan.tables.length} table(s), ${result.plan.users.length} user(s)`
        : "the verification after the sync found differences",
    });
    if (values.json) printJson({ synced: true, equal, ...result });
    else printResult(result);
    return equal ? 0 : 1;
  } catch (error) {
    backupBar.done();
    copyBar.done();
    const message = (error as Error).message;
    logOperation(config.stateDir, { what: "sync push", target, outcome: "failed", detail: message });
    if (error instanceof SyncRefusedError) {
      if (values.json) printJson({ synced: false, force: true, problems: error.problems });
      note("Sync refused, nothing was changed:");
      for (const problem of error.problems) note(`  - ${problem}`);
    } else {
      note(`Sync failed, the target was not changed (its transaction was rolled back): ${message}`);
    }
    return 1;
  }
}

function printPlan(plan: SyncPlan, target: string): void {
  if (plan.problems.length > 0) {
    print(`sync push to ${target} cannot run:`);
    for (const problem of plan.problems) print(`  - ${problem}`);
    print("Nothing was changed.");
    return;
  }
  print(`sync push --force would replace the public data of ${target}:`);
  print();
  for (const line of formatTable(
    ["table", "rows now on target (deleted)", "local rows (copied)"],
    plan.tables.map((t) => [t.table, String(t.targetRows), String(t.localRows)]),
  )) {
    print(line);
  }
  print();
  print(
    `and upsert ${plan.users.length} local user(s) by id (password hashes intact; target users that are not local stay):`,
  );
  for (const line of formatTable(
    ["user", "on the target"],
    plan.users.map((u) => [u.email ?? u.id, u.onTarget ? "yes: updated" : "no: inserted"]),
  )) {
    print(`  ${line}`);
  }
  print(
    `with ${plan.tenants} tenant(s) and ${plan.memberships} membership(s); sequences are set to the local values.`,
  );
  print(`Migrations: ${plan.migrations.length} applied on both sides, identical.`);
  print();
  print("Nothing was changed. Run again with --force to back up the target and do it.");
}

function printResult(result: SyncResult): void {
  const { verification } = result;
  print(
    `Synced ${result.rows} row(s) in ${result.plan.tables.length} table(s) and ${result.plan.users.length} user(s)` +
      `${result.replicaMode ? "" : " (triggers disabled per table, foreign keys checked: the target role is not a superuser)"}.`,
  );
  print(
    `Backup of the target before the sync: ${path.relative(process.cwd(), result.backupFile) || result.backupFile}`,
  );
  print();
  for (const line of formatTable(
    ["table", "local rows", "target rows", "local sum", "target sum", ""],
    verification.tables.map((t) => [
      t.table,
      t.localRows === null ? "missing" : String(t.localRows),
      t.targetRows === null ? "missing" : String(t.targetRows),
      t.localChecksum?.slice(0, 12) ?? "-",
      t.targetChecksum?.slice(0, 12) ?? "-",
      t.equal ? "ok" : "DIFFERS",
    ]),
  )) {
    print(line);
  }
  print();
  print(
    verification.usersDiffering.length === 0
      ? `All ${verification.usersChecked} user(s) are on the target with the same row, identities and memberships.`
      : `Users that differ on the target: ${verification.usersDiffering.join(", ")}.`,
  );
  const differing = verification.tables.filter((t) => !t.equal).length;
  print(
    verification.equal
      ? `Verified: all ${verification.tables.length} public table(s) are equal.`
      : `Verification failed: ${differing} of ${verification.tables.length} public table(s) differ.`,
  );
  if (verification.notSynced.length > 0) {
    print(
      `${verification.notSynced.length} table(s) outside the sync were not compared: ${verification.notSynced.join(", ")}.`,
    );
  }
}
