import { createReadStream, statSync } from "node:fs";
import { EndOfFileError, LineTooLongError, readLastLine, SectionReader } from "./section-reader.js";
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupHeader,
  type BackupManifest,
  type MigrationLine,
  type TableLine,
} from "./types.js";

/** The backup file is not one this version can restore; nothing has been changed. */
export class BackupFileError extends Error {
  override name = "BackupFileError";
}

/** The header lists the tables, so it is small; a longer first line means this is not a backup. */
const HEADER_MAX_BYTES = 64 << 20;

/** What a reader hands the restore, in file order. */
export type BackupEvent =
  | { readonly kind: "migration"; readonly line: MigrationLine }
  /** `data` must be read to its end before the next event is asked for. */
  | { readonly kind: "table"; readonly table: TableLine; readonly data: AsyncGenerator<Buffer> };

/** An opened backup: its header and manifest (both read and checked), and its sections to stream. */
export interface OpenedBackup {
  readonly header: BackupHeader;
  readonly manifest: BackupManifest;
  /** The file's size in bytes. */
  readonly size: number;
  /** Bytes read so far by {@link OpenedBackup.events}. */
  bytesRead(): number;
  /** The migrations and table sections, in file order; ends after checking the manifest line. */
  events(): AsyncGenerator<BackupEvent>;
  close(): Promise<void>;
}

/**
 * Opens a backup file (format: types.ts). Reads and checks the first line (the header: a file that
 * is not a backup, or of another format version, fails here) and the last line (the manifest: a
 * truncated file fails here), so a bad file is refused before the target is touched.
 */
export async function openBackup(file: string): Promise<OpenedBackup> {
  const reader = new SectionReader(createReadStream(file, { highWaterMark: 1 << 20 }));
  try {
    const first = await reader.readLine(HEADER_MAX_BYTES).catch((error: unknown) => {
      if (error instanceof LineTooLongError) return null;
      throw error;
    });
    const header = checkHeader(
      file,
      parseJson(first, () => notABackup(file, "its first line is not valid JSON")),
    );
    const manifest = checkManifest(file, readLastLine(file));
    return {
      header,
      manifest,
      size: statSync(file).size,
      bytesRead: () => reader.bytesRead,
      events: () => readSections(file, reader, header),
      close: () => reader.close(),
    };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

async function* readSections(
  file: string,
  reader: SectionReader,
  header: BackupHeader,
): AsyncGenerator<BackupEvent> {
  const expected = new Set(header.tables.map((t) => `${t.schema}.${t.name}`));
  for (;;) {
    const text = await reader.readLine();
    if (text === null) throw new BackupFileError(`${file} ends before its manifest`);
    const line = parseJson(
      text,
      () =>
        new BackupFileError(
          `${file} is damaged: the line ending at byte ${reader.bytesRead} is not valid JSON`,
        ),
    ) as MigrationLine | TableLine | BackupManifest;
    if (line.kind === "manifest") {
      if ((await reader.readLine()) !== null) {
        throw new BackupFileError(`${file} has data after its manifest (the last line)`);
      }
      return;
    }
    if (line.kind === "migration") {
      yield { kind: "migration", line };
    } else if (line.kind === "table") {
      if (!expected.delete(`${line.schema}.${line.name}`)) {
        throw new BackupFileError(
          `${file} holds table ${line.schema}.${line.name}, which its header does not list`,
        );
      }
      const data = tableData(reader, file, line);
      yield { kind: "table", table: line, data };
      for await (const _ of data) {
        // Drains what the consumer left unread, so the next line starts at a section boundary.
      }
    } else {
      throw new BackupFileError(`${file} has an unexpected line after byte ${reader.bytesRead}`);
    }
  }
}

async function* tableData(reader: SectionReader, file: string, table: TableLine): AsyncGenerator<Buffer> {
  try {
    yield* reader.copyData();
  } catch (error) {
    if (error instanceof EndOfFileError) {
      throw new BackupFileError(`${file} ends inside the rows of ${table.schema}.${table.name}`);
    }
    throw error;
  }
}

function checkHeader(
  file: string,
  line: { kind?: string; format?: string; formatVersion?: number },
): BackupHeader {
  const isBackup = line.format === BACKUP_FORMAT && (line.kind === "header" || line.kind === "manifest");
  if (!isBackup) {
    throw notABackup(file, "its first line is not a backup header");
  }
  if (line.formatVersion !== BACKUP_FORMAT_VERSION) {
    const newer = (line.formatVersion ?? 0) > BACKUP_FORMAT_VERSION;
    throw new BackupFileError(
      `${file} is a Groundwork backup in format version ${line.formatVersion}, and this version of ` +
        `Groundwork restores format version ${BACKUP_FORMAT_VERSION} only. ` +
        (newer
          ? "Upgrade Groundwork to restore it."
          : "Make a new backup of the source database with `groundwork db backup`, or restore this file with the Groundwork version that wrote it."),
    );
  }
  return line as BackupHeader;
}

function checkManifest(file: string, text: string): BackupManifest {
  let line: { kind?: string; format?: string; formatVersion?: number };
  try {
    line = JSON.parse(text) as typeof line;
  } catch {
    line = {};
  }
  if (
    line.kind !== "manifest" ||
    line.format !== BACKUP_FORMAT ||
    line.formatVersion !== BACKUP_FORMAT_VERSION
  ) {
    throw new BackupFileError(
      `${file} is incomplete: its last line is not the backup's manifest (was the file truncated, or copied while it was being written?)`,
    );
  }
  return line as BackupManifest;
}

function notABackup(file: string, reason: string): BackupFileError {
  return new BackupFileError(`${file} is not a Groundwork backup (${reason})`);
}

function parseJson(text: string | null, error: () => BackupFileError): { kind?: string } {
  try {
    return JSON.parse(text ?? "") as { kind?: string };
  } catch {
    throw error();
  }
}
