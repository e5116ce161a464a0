import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHistoryTable, recordMigration } from "../../../src/migrate/history.js";
import { backupDatabase } from "../../../src/ops/backup/backup.js";
import { restoreDatabase } from "../../../src/ops/backup/restore.js";
import { createTestDatabase, type TestDatabase } from "../../harness/database.js";
import { type RemoteCluster, startRemoteCluster } from "../../harness/remote-cluster.js";
import { checksumsAt, remoteDatabase } from "./helpers.js";

const KINDS_SQL = `create table public.kinds (
  id bigint generated always as identity primary key,
  label text,
  label_upper text generated always as (upper(label)) stored,
  payload bytea,
  tags text[],
  doc jsonb,
  amount numeric(12, 4),
  ratio double precision,
  at timestamptz,
  span interval,
  day date
)`;

/** Values that COPY's text format has to escape, or that print differently under other settings. */
const ROWS: unknown[][] = [
  [
    "tab\there, newline\nthere, cr\rand a backslash \\ end",
    Buffer.from([0, 1, 92, 10, 255]),
    ["a", "b,c", 'd"e', null, "\\"],
    { a: [1, "x\ty"], ü: null },
    "12.3456",
    0.1,
    "2025-03-04T05:06:07.891Z",
    "1 year 2 mons 3 days 04:05:06",
    "2025-12-31",
  ],
  ["\\.", Buffer.alloc(0), [], {}, "-0.0001", -1.5e300, "1999-12-31T23:59:59Z", "-00:00:01", "0001-01-01"],
  ["Ωmega 🚀 日本語 \u00a0", null, ["\\N", "NULL", ""], "just a string", null, Number.NaN, null, null, null],
  [null, null, null, null, null, null, null, null, null],
  ["", Buffer.from("\\x41"), [""], [null, true, 1.5], "0", 0, "2025-06-30T22:00:00+02:00", "0", "2000-02-29"],
];

describe("backup / restore of every kind of value", () => {
  let source: TestDatabase;
  let remote: RemoteCluster;
  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-backup-types-"));

  beforeAll(async () => {
    [source, remote] = await Promise.all([createTestDatabase("platform"), startRemoteCluster()]);
    const client = new pg.Client({ connectionString: source.adminUrl });
    await client.connect();
    try {
      await ensureHistoryTable(client);
      await client.query(KINDS_SQL);
      await recordMigration(client, { version: "20250101000000", name: "kinds", checksum: "kinds" }, [
        KINDS_SQL,
      ]);
      for (const row of ROWS) {
        await client.query(
          `insert into public.kinds (label, payload, tags, doc, amount, ratio, at, span, day)
           values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9)`,
          row.map((value, i) => (i === 3 && value !== null ? JSON.stringify(value) : value)),
        );
      }
      await client.query(
        `insert into auth.users (id, aud, role, email, encrypted_password, raw_user_meta_data)
         values ('00000000-0000-0000-0000-00000000000a', 'authenticated', 'authenticated', 'tab@test.local',
                 '$2a$10$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ', '{"name": "T\\tab\\n"}')`,
      );
      // The source prints times in another zone: the checksums must not depend on it.
      await client.query(`alter database ${source.name} set timezone = 'Asia/Kolkata'`);
    } finally {
      await client.end();
    }
  }, 120_000);
  afterAll(async () => {
    await source?.drop();
    await remote?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("round-trips NULLs, escapes, unicode, bytea, arrays, jsonb, numbers, times; recomputes generated columns", async () => {
    const { file, manifest } = await backupDatabase(source.adminUrl, { backupsDir: dir });
    const lines = readFileSync(file, "utf8").split("\n");
    const section = JSON.parse(
      lines.find((l) => l.includes('"kind":"table","schema":"public","name":"kinds"')) ?? "",
    );
    expect(section.columns).not.toContain("label_upper");
    expect(section.columns).toContain("id");
    expect(manifest.tables.find((t) => t.name === "kinds")?.rows).toBe(ROWS.length);

    const url = await remoteDatabase(remote, "kinds");
    await restoreDatabase(file, url);
    const sourceChecksums = await checksumsAt(source.adminUrl);
    expect(await checksumsAt(url)).toEqual(sourceChecksums);
    expect(sourceChecksums.find((t) => t.schema === "auth" && t.name === "users")?.rows).toBe(1);

    const select = "select * from public.kinds order by id";
    const restored = new pg.Client({ connectionString: url });
    await restored.connect();
    try {
      const before = (await source.query(select)).rows;
      const after = (await restored.query(select)).rows;
      expect(after).toEqual(before);
      expect(after[0]?.label_upper).toBe("TAB\tHERE, NEWLINE\nTHERE, CR\rAND A BACKSLASH \\ END");
      expect(after[0]?.payload).toEqual(Buffer.from([0, 1, 92, 10, 255]));
      expect(after[1]?.label).toBe("\\.");
      expect(after[3]?.label).toBeNull();
      expect(after[4]?.label).toBe("");
      // The identity sequence continues after the restored ids.
      const next = await restored.query("insert into public.kinds (label) values ('new') returning id");
      expect(next.rows[0]?.id).toBe(String(ROWS.length + 1));
      const user = await restored.query("select email, raw_user_meta_data from auth.users");
      expect(user.rows).toEqual([{ email: "tab@test.local", raw_user_meta_data: { name: "T\tab\n" } }]);
    } finally {
      await restored.end();
    }
  }, 120_000);
});
