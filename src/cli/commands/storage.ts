import { openStorageAdmin, type StorageAdmin } from "../../services/storage/index.js";
import { parseCommandArgs } from "../args.js";
import { databaseUrlFromFlags, withDatabaseUrl } from "../database-target.js";
import { formatTable, note, print, printJson } from "../output.js";
import { loadProjectConfig } from "../project.js";
import { UsageError } from "../usage-error.js";

export const storageHelp = `Storage's quarantine and trash on a project's database (docs/cli/storage.md).

Usage:
  groundwork storage quarantine list [--bucket B] [--json]   files the virus scanner refused
  groundwork storage quarantine release ID                   the file becomes the object at its path
  groundwork storage quarantine delete ID                    delete the entry and its bytes
  groundwork storage trash list [--bucket B] [--json]        soft-deleted objects
  groundwork storage trash restore ID                        the object is back at its path
  groundwork storage trash purge ID...                       delete entries and their bytes now
  groundwork storage trash purge --due [--as-of TIME]        delete the entries whose retention ended
                                                             (by TIME, an ISO date; default now)
  groundwork storage trash purge ... --dry-run               list what would be purged, purge nothing

Options:
  --db-url URL      the database (default: DATABASE_URL, the running stack, or the embedded cluster)
  --target NAME     a database named in groundwork.toml [targets.NAME]
  --workdir DIR     the project folder (default: the current folder); its groundwork.toml
                    [storage] names the backend that holds the bytes

Exit codes: 0 done, 1 failed (e.g. no such entry), 2 usage error.`;

const OPTIONS = {
  json: { type: "boolean" },
  bucket: { type: "string" },
  due: { type: "boolean" },
  "dry-run": { type: "boolean" },
  "as-of": { type: "string" },
  "db-url": { type: "string" },
  target: { type: "string" },
} as const;

const ACTIONS: Record<string, readonly string[]> = {
  quarantine: ["list", "release", "delete"],
  trash: ["list", "restore", "purge"],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `groundwork storage <quarantine|trash> <action>`. */
export async function storageCommand(argv: readonly string[]): Promise<number> {
  const [area, action, ...rest] = argv;
  if (area === undefined || area === "-h" || area === "--help") {
    print(storageHelp);
    return area === undefined ? 2 : 0;
  }
  const actions = ACTIONS[area];
  if (!actions) throw new UsageError(`unknown subcommand "storage ${area}" (expected quarantine or trash)`);
  if (action === "-h" || action === "--help") {
    print(storageHelp);
    return 0;
  }
  if (action === undefined || !actions.includes(action)) {
    throw new UsageError(`expected "storage ${area}" followed by ${actions.join(", ")}`);
  }
  const many = action === "purge";
  const { values, positionals } = parseCommandArgs(rest, OPTIONS, {
    min: action === "list" || many ? 0 : 1,
    max: action === "list" ? 0 : many ? 10_000 : 1,
  });
  if (values.help) {
    print(storageHelp);
    return 0;
  }
  const bad = positionals.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new UsageError(`"${bad}" is not an entry id (a uuid, as list shows)`);
  let asOf: Date | undefined;
  if (many) {
    if ((values.due === true) === positionals.length > 0)
      throw new UsageError("trash purge takes entry ids or --due");
    if (values["as-of"] !== undefined) {
      if (!values.due) throw new UsageError("--as-of goes with --due");
      asOf = new Date(values["as-of"]);
      if (Number.isNaN(asOf.getTime())) throw new UsageError(`--as-of "${values["as-of"]}" is not a date`);
    }
  } else if (values["dry-run"]) {
    throw new UsageError("--dry-run goes with trash purge");
  }
  const config = await loadProjectConfig(values.workdir);
  const url = databaseUrlFromFlags(config, { dbUrl: values["db-url"], target: values.target });
  return withDatabaseUrl(config, url, async (databaseUrl) => {
    const admin = openStorageAdmin(config, databaseUrl, note);
    try {
      const run = {
        admin,
        json: values.json === true,
        bucket: values.bucket,
        ids: positionals,
        asOf,
        dryRun: values["dry-run"] === true,
      };
      return area === "quarantine" ? await quarantine(action, run) : await trash(action, run);
    } catch (error) {
      const message = entryError(error);
      if (!message) throw error;
      note(`groundwork storage ${area} ${action}: ${message}`);
      return 1;
    } finally {
      await admin.close();
    }
  });
}

interface Run {
  readonly admin: StorageAdmin;
  readonly json: boolean;
  readonly bucket: string | undefined;
  readonly ids: readonly string[];
  readonly asOf: Date | undefined;
  readonly dryRun: boolean;
}

async function quarantine(action: string, { admin, json, bucket, ids }: Run): Promise<number> {
  const [id = ""] = ids;
  if (action === "list") {
    const entries = await admin.listQuarantine(bucket);
    if (json) printJson(entries);
    else if (entries.length === 0) print("The quarantine is empty.");
    else
      for (const line of formatTable(
        ["id", "bucket", "name", "signature", "size", "uploader", "quarantined at"],
        entries.map((e) => [
          e.id,
          e.bucket_id,
          e.name,
          e.signature,
          String(e.size ?? ""),
          e.owner_id ?? e.role ?? "",
          isoString(e.created_at),
        ]),
      ))
        print(line);
    return 0;
  }
  if (action === "release") {
    const entry = await admin.releaseQuarantined(id);
    report(
      json,
      { released: id, key: `${entry.bucket_id}/${entry.name}` },
      `Released ${entry.bucket_id}/${entry.name}.`,
    );
    return 0;
  }
  await admin.deleteQuarantined(id);
  report(json, { deleted: id }, `Deleted quarantined file ${id}.`);
  return 0;
}

async function trash(action: string, { admin, json, bucket, ids, asOf, dryRun }: Run): Promise<number> {
  if (action === "list") {
    const entries = await admin.listTrash(bucket);
    if (json) printJson(entries);
    else if (entries.length === 0) print("The trash is empty.");
    else
      for (const line of formatTable(
        ["id", "bucket", "name", "size", "deleted by", "deleted at", "purged after"],
        entries.map((e) => [
          e.id,
          e.bucket_id,
          e.name,
          String(e.size ?? ""),
          e.deleted_by ?? "",
          isoString(e.deleted_at),
          isoString(e.purge_after),
        ]),
      ))
        print(line);
    return 0;
  }
  if (action === "restore") {
    const entry = await admin.restoreTrashed(ids[0] ?? "");
    report(
      json,
      { restored: entry.id, key: `${entry.bucket_id}/${entry.name}` },
      `Restored ${entry.bucket_id}/${entry.name}.`,
    );
    return 0;
  }
  if (dryRun) {
    const dueBy = (asOf ?? new Date()).getTime();
    const due = (await admin.listTrash()).filter((e) =>
      ids.length > 0 ? ids.includes(e.id) : new Date(e.purge_after).getTime() <= dueBy,
    );
    if (json) printJson({ wouldPurge: due.map((e) => e.id) });
    else {
      print(`Would purge ${due.length} soft-deleted object(s) (dry run: nothing purged).`);
      for (const e of due) print(`  ${e.id}  ${e.bucket_id}/${e.name}`);
    }
    return 0;
  }
  const purged = await admin.purgeTrash(ids.length > 0 ? { ids } : { dueBy: asOf });
  if (ids.length > 0 && purged.length < ids.length) {
    const found = new Set(purged.map((e) => e.id));
    note(`No trash entry ${ids.filter((id) => !found.has(id)).join(", ")}.`);
  }
  report(json, { purged: purged.map((e) => e.id) }, `Purged ${purged.length} soft-deleted object(s).`);
  return ids.length > 0 && purged.length < ids.length ? 1 : 0;
}

function report(json: boolean, data: unknown, text: string): void {
  if (json) printJson(data);
  else print(text);
}

function isoString(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** The storage errors an admin action ends with, worded for the command line; null for others. */
function entryError(error: unknown): string | null {
  switch ((error as { code?: unknown }).code) {
    case "NoSuchKey":
      return "no entry with that id";
    case "NoSuchBucket":
      return "its bucket no longer exists";
    case "KeyAlreadyExists":
      return "another object holds its path now (remove or move it first)";
    default:
      return null;
  }
}
