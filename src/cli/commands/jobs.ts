import pg from "pg";
import { listDeadLetters, readJobsStatus, replayDeadLetters } from "../../services/jobs/index.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { formatTable, print, printJson } from "../output.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const jobsHelp = `Webhook deliveries, dead letters, cron jobs and queues of a database (docs/cli/jobs.md).

Usage:
  groundwork jobs status [--json]            requests queued, dead letters, cron jobs, queues
  groundwork jobs dead-letters [--json]      requests that failed their last attempt
  groundwork jobs replay ID... | --all       queue dead letters again (same idempotency key)

Options:
  --db-url URL      the database (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME     a database named in groundwork.toml [targets.NAME]
  --workdir DIR     the project folder (default: the current folder)

The same in SQL: select * from groundwork.http_dead_letters;
                 select groundwork.replay_http_dead_letters(array[ID]);  -- or () for all

Exit codes: 0 done, 1 failed, 2 usage error.`;

const OPTIONS = {
  json: { type: "boolean" },
  all: { type: "boolean" },
  "db-url": { type: "string" },
  target: { type: "string" },
} as const;

/** `groundwork jobs <status|dead-letters|replay>`. */
export async function jobsCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    print(jobsHelp);
    return sub === undefined ? 2 : 0;
  }
  if (!["status", "dead-letters", "replay"].includes(sub)) {
    throw new UsageError(`unknown subcommand "jobs ${sub}" (expected status, dead-letters or replay)`);
  }
  const { values, positionals } = parseCommandArgs(rest, OPTIONS, { max: sub === "replay" ? 10_000 : 0 });
  if (values.help) {
    print(jobsHelp);
    return 0;
  }
  if (sub === "replay") {
    if ((values.all === true) === positionals.length > 0)
      throw new UsageError("jobs replay takes dead letter ids or --all");
    const bad = positionals.find((id) => !/^\d{1,18}$/.test(id));
    if (bad !== undefined) throw new UsageError(`"${bad}" is not a dead letter id (a number)`);
  }
  const config = await loadProjectConfig(values.workdir);
  const url = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  return withDatabaseUrl(config, url, async (databaseUrl) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      if (sub === "status") return await status(client, values.json === true);
      if (sub === "dead-letters") return await deadLetters(client, values.json === true);
      const replayed = await replayDeadLetters(client, values.all ? null : positionals);
      if (values.json) printJson({ replayed });
      else print(`Queued ${replayed} dead letter(s) again.`);
      return 0;
    } finally {
      await client.end();
    }
  });
}

async function status(client: pg.Client, json: boolean): Promise<number> {
  const report = await readJobsStatus(client);
  if (json) {
    printJson(report);
    return 0;
  }
  const { requests } = report;
  print(
    requests
      ? `Requests: ${requests.queued} queued (${requests.due} due, ${requests.sending} sending, ${requests.retrying} waiting to retry)`
      : "Requests: pg_net is not created in this database",
  );
  print(`Dead letters: ${report.deadLetters}`);
  if (report.cron === null) print("Cron: pg_cron is not created in this database");
  else {
    print(`Cron jobs: ${report.cron.length}`);
    for (const line of formatTable(
      ["jobid", "name", "schedule", "active", "last run"],
      report.cron.map((job) => [
        job.jobid,
        job.jobname ?? "",
        job.schedule,
        job.active ? "yes" : "no",
        job.lastStart ? `${job.lastStatus} at ${job.lastStart}` : "never",
      ]),
    ))
      print(`  ${line}`);
  }
  if (report.queues === null) print("Queues: pgmq is not created in this database");
  else {
    print(`Queues: ${report.queues.length}`);
    for (const line of formatTable(
      ["queue", "length", "sent in total"],
      report.queues.map((queue) => [queue.name, String(queue.length), String(queue.total)]),
    ))
      print(`  ${line}`);
  }
  return 0;
}

async function deadLetters(client: pg.Client, json: boolean): Promise<number> {
  const letters = await listDeadLetters(client);
  if (json) {
    printJson(letters);
    return 0;
  }
  if (letters.length === 0) {
    print("No dead letters.");
    return 0;
  }
  for (const line of formatTable(
    ["id", "request", "method", "url", "attempts", "last error", "failed at"],
    letters.map((letter) => [
      letter.id,
      letter.requestId,
      letter.method,
      letter.url.length > 60 ? `${letter.url.slice(0, 57)}...` : letter.url,
      String(letter.attempts),
      letter.lastError ?? (letter.lastStatus === null ? "" : `HTTP ${letter.lastStatus}`),
      letter.failedAt,
    ]),
  ))
    print(line);
  print();
  print("Replay with `groundwork jobs replay ID...` or `groundwork jobs replay --all`.");
  return 0;
}
