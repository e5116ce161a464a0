import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const NEWLINE = 10;
/** A line holding only COPY's end-of-data marker, with the newline that ends the row before it. */
const MARKER_AFTER_ROW = Buffer.from("\n\\.\n");
const MARKER_AT_START = Buffer.from("\\.\n");

/** The file ended inside a section. */
export class EndOfFileError extends Error {
  override name = "EndOfFileError";
}

/** A line is longer than the caller allows. */
export class LineTooLongError extends Error {
  override name = "LineTooLongError";
}

/**
 * Reads a backup file's bytes in order: JSON lines, and the raw COPY text of a table up to its end
 * marker (types.ts). Works on the file stream's chunks without copying rows one by one: the marker is
 * found with `Buffer.indexOf`, and the data between is handed on as slices of the chunks read.
 */
export class SectionReader {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly source: AsyncIterator<Buffer>;
  private ended = false;
  /** Bytes of the file consumed so far. */
  bytesRead = 0;

  constructor(chunks: AsyncIterable<Buffer>) {
    this.source = chunks[Symbol.asyncIterator]();
  }

  /**
   * The next line without its newline; null at the end of the file. Throws {@link LineTooLongError}
   * past `maxBytes` (so a large file that is not a backup is not read whole looking for a newline).
   */
  async readLine(maxBytes = Number.POSITIVE_INFINITY): Promise<string | null> {
    let from = 0;
    for (;;) {
      const newline = this.buffer.indexOf(NEWLINE, from);
      if (newline >= 0) {
        const line = this.buffer.toString("utf8", 0, newline);
        this.consume(newline + 1);
        return line;
      }
      from = this.buffer.length;
      if (from > maxBytes) throw new LineTooLongError(`a line is longer than ${maxBytes} bytes`);
      if (!(await this.fill())) {
        if (this.buffer.length === 0) return null;
        const line = this.buffer.toString("utf8");
        this.consume(this.buffer.length);
        return line;
      }
    }
  }

  /**
   * Yields the COPY text that starts here, in slices, up to the end-marker line (consumed, not
   * yielded). Throws {@link EndOfFileError} if the file ends first.
   */
  async *copyData(): AsyncGenerator<Buffer> {
    while (this.buffer.length < MARKER_AT_START.length && (await this.fill())) {}
    if (this.buffer.subarray(0, MARKER_AT_START.length).equals(MARKER_AT_START)) {
      this.consume(MARKER_AT_START.length);
      return;
    }
    for (;;) {
      const at = this.buffer.indexOf(MARKER_AFTER_ROW);
      if (at >= 0) {
        const rows = this.buffer.subarray(0, at + 1);
        this.consume(at + MARKER_AFTER_ROW.length);
        yield rows;
        return;
      }
      // The last bytes may be the start of a marker split across chunks: keep them for the next search.
      const safe = this.buffer.length - (MARKER_AFTER_ROW.length - 1);
      if (safe > 0) {
        const rows = this.buffer.subarray(0, safe);
        this.consume(safe);
        yield rows;
      }
      if (!(await this.fill())) throw new EndOfFileError("the file ends inside a table's rows");
    }
  }

  /** Stops reading the file. */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  private consume(bytes: number): void {
    this.buffer = this.buffer.subarray(bytes);
    this.bytesRead += bytes;
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.buffer = this.buffer.length === 0 ? next.value : Buffer.concat([this.buffer, next.value]);
    return true;
  }
}

/** The last line of a file (without its newline), read backwards from the end; "" for an empty file. */
export function readLastLine(file: string): string {
  const fd = openSync(file, "r");
  try {
    const blocks: Buffer[] = [];
    let end = fstatSync(fd).size;
    // Skip the file's final newline.
    if (end > 0 && byteAt(fd, end - 1) === NEWLINE) end--;
    let position = end;
    while (position > 0) {
      const size = Math.min(65_536, position);
      const block = Buffer.alloc(size);
      readSync(fd, block, 0, size, position - size);
      position -= size;
      const newline = block.lastIndexOf(NEWLINE);
      if (newline >= 0) {
        blocks.unshift(block.subarray(newline + 1));
        break;
      }
      blocks.unshift(block);
    }
    return Buffer.concat(blocks).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function byteAt(fd: number, position: number): number {
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, position);
  return one[0] ?? -1;
}
