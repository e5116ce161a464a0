import { once } from "node:events";
import { createWriteStream, openSync, renameSync, rmSync } from "node:fs";

/** A file written under `<file>.partial` and renamed into place only once complete. */
export interface FileSink {
  /** Writes a chunk, waiting while the disk catches up; throws the stream's error, if any. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Flushes, closes and renames the partial file to its final name. */
  commit(): Promise<void>;
  /** Closes and deletes the partial file. */
  discard(): void;
}

/**
 * Opens `<file>.partial` for writing. Opened synchronously, so an unwritable folder fails here as an
 * exception rather than later as a stream event.
 */
export function openFileSink(file: string): FileSink {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial, { fd: openSync(partial, "w"), highWaterMark: 1 << 20 });
  let failure: Error | undefined;
  out.on("error", (error) => {
    failure = error;
  });
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!out.write(chunk)) await once(out, "drain");
    },
    async commit() {
      if (failure) throw failure;
      out.end();
      await once(out, "finish");
      renameSync(partial, file);
    },
    discard() {
      out.destroy();
      rmSync(partial, { force: true });
    },
  };
}
